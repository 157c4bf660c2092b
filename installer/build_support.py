"""What installer/convwiz.spec computes, apart from what it declares (see installer/__init__).

PyInstaller's objects never come in here by import: the spec hands over its tables of
contents (lists of (destination, source, kind) entries) and PyInstaller's functions
(copy_metadata, get_imports) as arguments, so every step runs in a test without a build.
Nothing here runs at import; the ELF steps (the shared-library walk, the strip) are the
spec's Linux branch only, and need nothing POSIX-only until they are called.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import struct
import subprocess
from collections.abc import Callable, Collection, Iterable, Sequence
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from typing import Literal

Entry = tuple[str, str, str]
"""One line of a PyInstaller table of contents: destination name, source path, kind."""

GetImports = Callable[[str], Iterable[tuple[str, str | None]]]
"""PyInstaller's bindepend.get_imports: the (name, resolved path) a library links to."""

NOTE = "convwiz.spec:"


# -- Qt modules ---------------------------------------------------------------------------------

_QT_DOTTED = re.compile(r"PySide6\.(Qt\w+)")
_QT_FROM = re.compile(r"from PySide6 import ([^\n]+)")


def qt_modules_used(package: Path) -> set[str]:
    """The PySide6 modules that any .py file under `package` names, in any folder.

    Qt belongs to wizard/ui only, but the whole package is scanned, so an import of Qt
    anywhere in it (a test helper, a new face) still finds its module in the build.
    """
    used: set[str] = set()
    for source in sorted(package.rglob("*.py")):
        text = source.read_text(encoding="utf-8", errors="replace")
        used.update(_QT_DOTTED.findall(text))
        for line in _QT_FROM.findall(text):
            used.update(re.findall(r"Qt\w+", line))
    return used


def qt_modules_shipped() -> set[str]:
    """The Qt modules the installed PySide6 has (its QtX.abi3.so or QtX.pyd); none without it."""
    try:
        import PySide6
    except ImportError:
        return set()
    folder = Path(PySide6.__file__).parent
    return {f.name.split(".")[0] for f in folder.glob("Qt*") if f.suffix in (".so", ".pyd")}


def qt_excludes(known: Collection[str], always: Collection[str], package: Path) -> list[str]:
    """`PySide6.X` for each module of `known` that is neither in `always` nor used in `package`."""
    keep = set(always) | qt_modules_used(package)
    return sorted(f"PySide6.{module}" for module in set(known) - keep)


# -- what to collect, what to leave ---------------------------------------------------------


def metadata_datas(
    distributions: Iterable[str], copy_metadata: Callable[[str], list[tuple[str, str]]]
) -> list[tuple[str, str]]:
    """Each distribution's metadata (`copy_metadata`'s datas); a distribution that this
    environment has no metadata for is left out, not fatal."""
    datas: list[tuple[str, str]] = []
    for distribution in distributions:
        with contextlib.suppress(Exception):
            datas += copy_metadata(distribution)
    return datas


def without(entries: Iterable[Entry], *drop: re.Pattern[str]) -> list[Entry]:
    """The entries whose destination name none of the patterns finds (re.search)."""
    return [entry for entry in entries if not any(p.search(entry[0]) for p in drop)]


def icon_for(platform: str, icons: Path, name: str = "convwiz") -> list[str] | None:
    """The executable's icon: Windows' .ico (or the PNG, which PyInstaller converts with
    Pillow), macOS' .icns; None elsewhere or when the file is missing."""
    if platform == "win32":
        choices = [icons / f"{name}.ico", icons / f"{name}.png"]
    elif platform == "darwin":
        choices = [icons / f"{name}.icns"]
    else:
        choices = []
    return next(([str(path)] for path in choices if path.exists()), None)


# -- the shared-library walk (Linux) --------------------------------------------------------


def is_extension_module(entry: Entry, suffixes: Sequence[str] = EXTENSION_SUFFIXES) -> bool:
    """Python imports this file (some hooks collect one as a plain BINARY: pyarrow.lib).

    A bare ".so" is an extension suffix too, but a file named lib*.so is a library's link
    name, never a module: pyarrow's wheel ships libarrow_python.so beside
    libarrow_python.so.2600 (a copy, wheels have no symlinks), and every module links the
    versioned name. Such a file is a library like any other.
    """
    name = Path(entry[0]).name
    if entry[2] == "EXTENSION":
        return True
    if name.endswith(tuple(s for s in suffixes if s != ".so")):
        return True
    return name.endswith(".so") and not name.startswith("lib")


def _walk_root(entry: Entry, dlopened: Collection[str], suffixes: Sequence[str]) -> bool:
    path = Path(entry[0])
    return (
        is_extension_module(entry, suffixes)
        or "plugins" in path.parts
        or path.name.startswith("libpython")
        or path.name in dlopened
    )


def linked_from_roots(
    binaries: Sequence[Entry],
    get_imports: GetImports,
    dlopened: Collection[str] = (),
    suffixes: Sequence[str] = EXTENSION_SUFFIXES,
) -> list[bool]:
    """For each binary, whether something kept reaches it through the libraries' links.

    The roots are kept as they are: Python's extension modules, Qt's plugins, libpython and
    the libraries loaded with dlopen rather than linked (`dlopened`, by file name). From
    them the walk follows what each links to (`get_imports`, by file name).
    """
    by_name: dict[str, list[int]] = {}
    for index, entry in enumerate(binaries):
        by_name.setdefault(Path(entry[0]).name, []).append(index)
    reached = [_walk_root(entry, dlopened, suffixes) for entry in binaries]
    todo = [index for index, root in enumerate(reached) if root]
    while todo:
        entry = binaries[todo.pop()]
        for name, _path in get_imports(entry[1]):
            for dep in by_name.get(Path(name).name, []):
                if not reached[dep]:
                    reached[dep] = True
                    todo.append(dep)
    return reached


def linked_only(
    binaries: Sequence[Entry],
    datas: Sequence[Entry],
    get_imports: GetImports,
    dlopened: Collection[str] = (),
    suffixes: Sequence[str] = EXTENSION_SUFFIXES,
) -> tuple[list[Entry], list[Entry]]:
    """The binaries something kept links to (linked_from_roots), and the datas without the
    links PyInstaller would make to the ones dropped (SYMLINK entries whose target went)."""
    reached = linked_from_roots(binaries, get_imports, dlopened, suffixes)
    kept = [entry for entry, keep in zip(binaries, reached) if keep]
    dropped = sorted(Path(entry[0]).name for entry, keep in zip(binaries, reached) if not keep)
    targets = {entry[0] for entry in kept}
    kept_datas = [entry for entry in datas if entry[2] != "SYMLINK" or entry[1] in targets]
    print(f"{NOTE} dropped {len(dropped)} shared libraries nothing kept links to: "
          + " ".join(dropped))
    return kept, kept_datas


# -- strip (Linux) ---------------------------------------------------------------------------


def loadable(path: Path, page: int = 4096) -> bool:
    """The dynamic loader's own test: every PT_LOAD segment of a 64-bit ELF file page-aligned,
    in the file and in memory. Anything else (not ELF, 32-bit, misaligned): False."""
    data = path.read_bytes()
    if len(data) < 0x40 or data[:4] != b"\x7fELF" or data[4] != 2:
        return False
    endian = "<" if data[5] == 1 else ">"
    (phoff,) = struct.unpack_from(endian + "Q", data, 0x20)
    phentsize, phnum = struct.unpack_from(endian + "HH", data, 0x36)
    for i in range(phnum):
        p_type, _flags, offset, vaddr, _paddr, _filesz, _memsz, align = struct.unpack_from(
            endian + "IIQQQQQQ", data, phoff + i * phentsize
        )
        if p_type == 1 and ((vaddr - offset) % page or align % page):
            return False
    return True


Stripped = Literal["smaller", "broken", "unchanged"]


def strip_copy(src: Path, target: Path) -> Stripped:
    """Strip a copy of `src` at `target` (strip --strip-unneeded).

    "smaller": the copy is smaller and still loadable, ship it; "broken": strip made it
    something the loader refuses (a library patchelf rewrote, say), ship `src`;
    "unchanged": strip failed or saved nothing, ship `src`.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, target)
    done = subprocess.run(["strip", "--strip-unneeded", str(target)],
                          capture_output=True).returncode == 0
    if not done:
        return "unchanged"
    if not loadable(target):
        return "broken"
    return "smaller" if target.stat().st_size < src.stat().st_size else "unchanged"


def stripped(binaries: Iterable[Entry], out_dir: Path) -> list[Entry]:
    """The binaries, each replaced by its stripped copy under `out_dir` where strip_copy says
    "smaller"; says what it saved and what it left whole."""
    saved = 0
    kept_whole: list[str] = []
    result: list[Entry] = []
    for dest, src, kind in binaries:
        target = out_dir / dest
        outcome = strip_copy(Path(src), target)
        if outcome == "smaller":
            saved += Path(src).stat().st_size - target.stat().st_size
            result.append((dest, str(target), kind))
        else:
            if outcome == "broken":
                kept_whole.append(Path(dest).name)
            result.append((dest, src, kind))
    print(f"{NOTE} strip saved {saved / 2**20:.0f} MB; left whole (stripping would "
          f"break them): {' '.join(sorted(kept_whole)) or 'none'}")
    return result

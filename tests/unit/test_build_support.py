"""The frozen build's own code (installer/build_support.py, installer/icu_data.py), without a
build: which Qt modules are left out, the shared-library walk, the strip check and the ICU
data trimming, on crafted inputs and, where this system has them, on real libraries."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from installer import build_support, icu_data
from installer.build_support import Entry

ROOT = Path(__file__).resolve().parents[2]
LINUX_SUFFIXES = [".cpython-311-x86_64-linux-gnu.so", ".abi3.so", ".so"]
ELF_ONLY = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="ELF files and binutils: the Linux build only"
)


# -- Qt modules -------------------------------------------------------------------------------


def test_qt_modules_are_found_in_every_folder_of_the_package(tmp_path: Path) -> None:
    (tmp_path / "ui").mkdir()
    (tmp_path / "flow" / "deep").mkdir(parents=True)
    (tmp_path / "ui" / "window.py").write_text("from PySide6.QtSvg import QSvgRenderer\n")
    (tmp_path / "flow" / "deep" / "x.py").write_text("from PySide6 import QtCharts, QtCore\n")
    (tmp_path / "flow" / "y.py").write_text("import PySide6.QtNetwork\n")
    (tmp_path / "notes.txt").write_text("from PySide6 import QtPdf\n")  # not Python

    assert build_support.qt_modules_used(tmp_path) == {"QtSvg", "QtCharts", "QtCore", "QtNetwork"}


def test_qt_excludes_leave_out_only_what_nothing_uses(tmp_path: Path) -> None:
    (tmp_path / "face.py").write_text("from PySide6.QtSvgWidgets import QSvgWidget\n")
    known = {"QtCore", "QtGui", "QtSvgWidgets", "QtPdf", "QtNetwork"}

    excludes = build_support.qt_excludes(known, {"QtCore", "QtGui"}, tmp_path)

    assert excludes == ["PySide6.QtNetwork", "PySide6.QtPdf"]


def test_the_program_keeps_the_qt_modules_its_window_imports() -> None:
    used = build_support.qt_modules_used(ROOT / "wizard")
    assert {"QtCore", "QtGui", "QtWidgets"} <= used
    excludes = build_support.qt_excludes({"QtWidgets", "Qt3DCore"}, set(), ROOT / "wizard")
    assert excludes == ["PySide6.Qt3DCore"]


# -- what to collect, what to leave -----------------------------------------------------------


def test_without_drops_by_destination_name_only() -> None:
    entries = [
        ("PySide6/Qt/plugins/tls/libqopensslbackend.so", "/x/a.so", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/x/plugins/tls/b.so", "BINARY"),
        ("PySide6\\translations\\qt_de.qm", "C:\\x\\qt_de.qm", "DATA"),
    ]
    kept = build_support.without(
        entries, re.compile(r"plugins[/\\]tls"), re.compile(r"PySide6[/\\]translations[/\\]")
    )
    assert kept == [entries[1]]


def test_metadata_of_a_missing_distribution_is_left_out() -> None:
    def copy_metadata(name: str) -> list[tuple[str, str]]:
        if name == "absent":
            raise RuntimeError(f"No package metadata was found for {name}")
        return [(f"/site/{name}.dist-info", f"{name}.dist-info")]

    datas = build_support.metadata_datas(["keyring", "absent", "pyarrow"], copy_metadata)

    assert datas == [("/site/keyring.dist-info", "keyring.dist-info"),
                     ("/site/pyarrow.dist-info", "pyarrow.dist-info")]


def test_icon_by_system(tmp_path: Path) -> None:
    assert build_support.icon_for("win32", tmp_path) is None
    (tmp_path / "convwiz.png").write_bytes(b"png")
    assert build_support.icon_for("win32", tmp_path) == [str(tmp_path / "convwiz.png")]
    (tmp_path / "convwiz.ico").write_bytes(b"ico")
    (tmp_path / "convwiz.icns").write_bytes(b"icns")
    assert build_support.icon_for("win32", tmp_path) == [str(tmp_path / "convwiz.ico")]
    assert build_support.icon_for("darwin", tmp_path) == [str(tmp_path / "convwiz.icns")]
    assert build_support.icon_for("linux", tmp_path) is None


# -- the shared-library walk ------------------------------------------------------------------

LINKS = {  # source -> what it links to (DT_NEEDED)
    "/w/QtCore.abi3.so": ["libQt6Core.so.6", "libc.so.6"],
    "/w/libQt6Core.so.6": ["libicui18n.so.73"],
    "/w/libicui18n.so.73": ["libicudata.so.73"],
    "/w/lib.cpython-311-x86_64-linux-gnu.so": ["libarrow.so.2600"],
    "/w/libqxcb.so": ["libxcb-cursor.so.0"],
    "/w/libgtk-3.so.0": ["libgdk-3.so.0"],  # linked only by the GTK theme, dropped before
}


def _binary(dest: str, kind: str = "BINARY") -> Entry:
    return (dest, "/w/" + Path(dest).name, kind)


BINARIES = [
    _binary("PySide6/QtCore.abi3.so", "EXTENSION"),
    _binary("PySide6/Qt/lib/libQt6Core.so.6"),
    _binary("PySide6/Qt/lib/libicui18n.so.73"),
    _binary("PySide6/Qt/lib/libicudata.so.73"),
    _binary("pyarrow/lib.cpython-311-x86_64-linux-gnu.so"),  # a module collected as BINARY
    _binary("pyarrow/libarrow.so.2600"),
    _binary("pyarrow/libarrow_python.so"),  # a link name, not a module: nothing links it
    _binary("PySide6/Qt/plugins/platforms/libqxcb.so"),
    _binary("libxcb-cursor.so.0"),
    _binary("libgtk-3.so.0"),
    _binary("libgdk-3.so.0"),
    _binary("libpython3.11.so.1.0"),
    _binary("libdbus-1.so.3"),
]


def _links(source: str) -> list[tuple[str, str | None]]:
    return [(name, None) for name in LINKS.get(source, [])]


def test_the_walk_keeps_what_something_kept_links_to(capsys: pytest.CaptureFixture[str]) -> None:
    datas = [
        ("libarrow.so.2600", "pyarrow/libarrow.so.2600", "SYMLINK"),
        ("libarrow_python.so", "pyarrow/libarrow_python.so", "SYMLINK"),
        ("wizard/resources/icons/convwiz.svg", "/w/convwiz.svg", "DATA"),
    ]

    binaries, kept_datas = build_support.linked_only(
        BINARIES, datas, _links, {"libdbus-1.so.3"}, LINUX_SUFFIXES
    )

    dropped = {Path(e[0]).name for e in BINARIES} - {Path(e[0]).name for e in binaries}
    assert dropped == {"libarrow_python.so", "libgtk-3.so.0", "libgdk-3.so.0"}
    assert [e for e in BINARIES if Path(e[0]).name not in dropped] == binaries  # order kept
    assert kept_datas == [datas[0], datas[2]]  # the link to a dropped library goes too
    assert "dropped 3 shared libraries nothing kept links to: libarrow_python.so " \
           "libgdk-3.so.0 libgtk-3.so.0" in capsys.readouterr().out


def test_a_library_loaded_with_dlopen_stays_only_when_named() -> None:
    reached = build_support.linked_from_roots(BINARIES, _links, (), LINUX_SUFFIXES)
    names = {Path(e[0]).name: keep for e, keep in zip(BINARIES, reached)}
    assert names["libdbus-1.so.3"] is False
    assert names["libicudata.so.73"] is True  # two links away from QtCore's module


def _needed(source: str) -> list[tuple[str, str | None]]:
    """What a real ELF file links to: PyInstaller's own reader where it is installed (what
    the build uses), else binutils' readelf."""
    try:
        from PyInstaller.depend.bindepend import get_imports
    except ImportError:
        out = subprocess.run(["readelf", "-d", source], capture_output=True, text=True,
                             check=True).stdout
        return [(name, None) for name in re.findall(r"\(NEEDED\)\s+Shared library: \[(.+)\]", out)]
    return [(name, path) for name, path in get_imports(source)]


def _pyside_lib() -> Path:
    pyside = pytest.importorskip("PySide6")
    lib = Path(pyside.__file__).parent / "Qt" / "lib"
    if not (lib / "libQt6Core.so.6").exists() or shutil.which("readelf") is None:
        pytest.skip("PySide6's Qt libraries or readelf are not here")
    return lib


@ELF_ONLY
def test_the_walk_on_real_qt_libraries() -> None:
    lib = _pyside_lib()
    qtcore = next(Path(lib.parent.parent).glob("QtCore.abi3.so"))
    libraries = ["libQt6Core.so.6", "libicui18n.so.73", "libicuuc.so.73", "libicudata.so.73",
                 "libQt6Pdf.so.6", "libQt6Quick.so.6"]
    binaries: list[Entry] = [("PySide6/QtCore.abi3.so", str(qtcore), "EXTENSION")]
    binaries += [(f"PySide6/Qt/lib/{name}", str(lib / name), "BINARY")
                 for name in libraries if (lib / name).exists()]

    reached = build_support.linked_from_roots(binaries, _needed, (), LINUX_SUFFIXES)

    kept = {Path(e[0]).name for e, keep in zip(binaries, reached) if keep}
    assert {"QtCore.abi3.so", "libQt6Core.so.6", "libicuuc.so.73", "libicudata.so.73"} <= kept
    assert not kept & {"libQt6Pdf.so.6", "libQt6Quick.so.6"}


# -- the strip check ----------------------------------------------------------------------------


def _elf(segments: Iterable[tuple[int, int, int, int]], elf_class: int = 2) -> bytes:
    """A 64-bit little-endian ELF header and its program headers: (type, offset, vaddr, align)."""
    table = list(segments)
    header = bytearray(0x40)
    header[:6] = b"\x7fELF" + bytes([elf_class, 1])
    struct.pack_into("<Q", header, 0x20, 0x40)
    struct.pack_into("<HH", header, 0x36, 56, len(table))
    rows = b"".join(struct.pack("<IIQQQQQQ", kind, 5, offset, vaddr, vaddr, 16, 16, align)
                    for kind, offset, vaddr, align in table)
    return bytes(header) + rows


@pytest.mark.parametrize(("segments", "elf_class", "expected"), [
    ([(1, 0, 0, 0x1000), (1, 0x2000, 0x3000, 0x1000)], 2, True),
    ([(1, 0, 0, 0x1000), (6, 0x40, 0x40, 8)], 2, True),  # PT_PHDR: the loader does not care
    ([(1, 0, 0, 0x1000), (1, 0x2000, 0x3010, 0x1000)], 2, False),  # not on a page boundary
    ([(1, 0, 0, 0x10)], 2, False),  # aligned to less than a page
    ([(1, 0, 0, 0x1000)], 1, False),  # 32-bit: not a file this build makes
])
def test_the_loaders_check_on_crafted_elf(
    tmp_path: Path, segments: list[tuple[int, int, int, int]], elf_class: int, expected: bool
) -> None:
    path = tmp_path / "lib.so"
    path.write_bytes(_elf(segments, elf_class))
    assert build_support.loadable(path) is expected


def test_a_file_that_is_not_elf_is_not_loadable(tmp_path: Path) -> None:
    (tmp_path / "x.so").write_bytes(b"#!/bin/sh\necho not a library\n")
    assert build_support.loadable(tmp_path / "x.so") is False


def _unstripped_library(tmp_path: Path) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None or shutil.which("strip") is None:
        pytest.skip("no C compiler or strip here (.ci/run installs gcc)")
    source = tmp_path / "answer.c"
    source.write_text("int answer(void) { return 42; }\nstatic int unused(int x) "
                      "{ return x * 2; }\nint (*keep)(int) = unused;\n")
    library = tmp_path / "libanswer.so.1"
    subprocess.run([cc, "-g", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    return library


@ELF_ONLY
def test_strip_ships_a_smaller_copy_and_leaves_a_stripped_one(tmp_path: Path) -> None:
    library = _unstripped_library(tmp_path)
    assert build_support.loadable(library)

    copy = tmp_path / "out" / "libanswer.so.1"
    assert build_support.strip_copy(library, copy) == "smaller"
    assert build_support.loadable(copy)
    assert copy.stat().st_size < library.stat().st_size
    sections = subprocess.run(["readelf", "-S", str(copy)], capture_output=True, text=True,
                              check=True).stdout
    assert ".debug_info" not in sections and ".symtab" not in sections

    again = tmp_path / "again" / "libanswer.so.1"
    assert build_support.strip_copy(copy, again) == "unchanged"


@ELF_ONLY
def test_a_copy_strip_broke_is_not_shipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    library = _unstripped_library(tmp_path)
    misaligned = tmp_path / "misaligned.so"
    misaligned.write_bytes(_elf([(1, 0, 0, 0x1000), (1, 0x2000, 0x3010, 0x1000)]))
    # a strip that does what patchelf'd libraries suffered: a load segment off its page
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "strip").write_text(
        f"#!{sys.executable}\nimport shutil, sys\nshutil.copyfile({str(misaligned)!r}, "
        "sys.argv[-1])\n")
    (tools / "strip").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")

    entries = [("PySide6/Qt/lib/libanswer.so.1", str(library), "BINARY")]
    assert build_support.stripped(entries, tmp_path / "stripped") == entries
    assert "left whole (stripping would break them): libanswer.so.1" in capsys.readouterr().out


@ELF_ONLY
def test_stripped_replaces_only_what_strip_made_smaller(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library = _unstripped_library(tmp_path)
    text = tmp_path / "readme.so"
    text.write_text("not ELF: strip refuses it\n")
    entries = [("a/libanswer.so.1", str(library), "BINARY"), ("b/readme.so", str(text), "BINARY")]

    result = build_support.stripped(entries, tmp_path / "stripped")

    assert result == [("a/libanswer.so.1", str(tmp_path / "stripped" / "a" / "libanswer.so.1"),
                       "BINARY"), entries[1]]
    assert "left whole (stripping would break them): none" in capsys.readouterr().out


# -- ICU data ---------------------------------------------------------------------------------

NEEDED = ["icudt73l/cnvalias.icu", "icudt73l/coll/root.res", "icudt73l/coll/ucadata.icu",
          "icudt73l/en.res", "icudt73l/metaZones.res", "icudt73l/zoneinfo64.res"]
NOT_READ = ["icudt73l/brkitr/char.brk", "icudt73l/confusables.cfu", "icudt73l/curr/en.res",
            "icudt73l/lang/en.res", "icudt73l/translit/root.res", "icudt73l/unames.icu"]


def _header(big_endian: int = 0, data_format: bytes = b"CmnD") -> bytes:
    info = struct.pack("<HHBBBB4s4s4s", 20, 0, big_endian, 0, 2, 0, data_format,
                       b"\x01\0\0\0", b"\x49\0\0\0")
    return (struct.pack("<HBB", 32, 0xDA, 0x27) + info).ljust(32, b"\0")


def _package(items: list[tuple[str, bytes]], header: bytes, align: int = 16) -> bytes:
    """An ICU common-data package as ICU's pkgdata lays one out, its items `align`-aligned
    (written here, not by the module under test)."""
    names = b"".join(name.encode() + b"\0" for name, _ in items)
    toc = struct.pack("<I", len(items))
    name_at = 4 + 8 * len(items)
    data = b""
    data_at = (name_at + len(names) + 15) // 16 * 16
    for name, item in items:
        toc += struct.pack("<II", name_at, data_at + len(data))
        name_at += len(name) + 1
        data += item.ljust((len(item) + align - 1) // align * align, b"\0")
    body = (toc + names).ljust(data_at, b"\0") + data
    return header + body


def _parsed(package: bytes) -> tuple[bytes, list[str], list[int]]:
    header = struct.unpack_from("<H", package)[0]
    count = struct.unpack_from("<I", package, header)[0]
    names, places = [], []
    for i in range(count):
        name_off, data_off = struct.unpack_from("<II", package, header + 4 + 8 * i)
        end = package.index(b"\0", header + name_off)
        names.append(package[header + name_off:end].decode())
        places.append(data_off)
    return package[:header], names, places


def _items(names: list[str]) -> list[tuple[str, bytes]]:
    return [(name, (name * (i + 1)).encode()[: 7 + 13 * i]) for i, name in enumerate(names)]


def test_icu_trimming_keeps_what_qt_reads_and_drops_the_rest() -> None:
    items = _items(sorted(NEEDED + NOT_READ))
    original = _package(items, _header(), align=1)  # the output is aligned all the same

    trimmed = icu_data.trimmed_package(original)

    assert trimmed is not None
    package, kept, total = trimmed
    assert (kept, total) == (6, 12)
    header, names, places = _parsed(package)
    assert header == _header()
    assert names == NEEDED
    assert all(place % 16 == 0 for place in places)
    read = icu_data.read_package(package)
    assert read is not None
    assert read[1] == [(name, item.ljust((len(item) + 15) // 16 * 16, b"\0"))
                       for name, item in items if name in NEEDED]
    assert len(package) < len(original)


@pytest.mark.parametrize("change", ["no collation root", "unsorted", "big-endian", "not CmnD"])
def test_icu_trimming_refuses_a_package_it_does_not_know(change: str) -> None:
    names = sorted(NEEDED + NOT_READ)
    header = _header()
    if change == "no collation root":
        names.remove("icudt73l/coll/ucadata.icu")
    elif change == "unsorted":
        names.reverse()
    elif change == "big-endian":
        header = _header(big_endian=1)
    else:
        header = _header(data_format=b"ResB")
    assert icu_data.trimmed_package(_package(_items(names), header)) is None


def test_a_library_that_cannot_be_trimmed_ships_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = tmp_path / "libicudata.so.73"
    fake.write_text("not a library\n")
    entries = [("PySide6/Qt/lib/libicudata.so.73", str(fake), "BINARY"),
               ("PySide6/Qt/lib/libicuuc.so.73", "/w/libicuuc.so.73", "BINARY")]

    assert icu_data.trim_in(entries, tmp_path / "icudata") == entries
    # readelf refuses the file; without a compiler or readelf (Windows) it is not tried
    assert re.search(r"\bship(s|ped) whole\b", capsys.readouterr().out)


@ELF_ONLY
def test_the_real_icu_data_library_trimmed(tmp_path: Path) -> None:
    lib = _pyside_lib()
    source = next(lib.glob("libicudata.so.*"))
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no C compiler here (.ci/run installs gcc)")

    entries = icu_data.trim_in([("PySide6/Qt/lib/" + source.name, str(source), "BINARY")],
                               tmp_path)

    trimmed = Path(entries[0][1])
    assert trimmed.parent == tmp_path and trimmed.name == source.name
    assert trimmed.stat().st_size < 0.6 * source.stat().st_size
    before, after = icu_data.package_in(source), icu_data.package_in(trimmed)
    assert before is not None and after is not None
    assert after[:2] == before[:2]  # the same SONAME and symbol
    old, new = icu_data.read_package(before[2]), icu_data.read_package(after[2])
    assert old is not None and new is not None
    assert new[0] == old[0]
    kept = dict(new[1])
    assert not [name for name in kept if icu_data.DROP.search(name)]
    wanted = {name for name, _ in old[1] if not icu_data.DROP.search(name)}
    assert set(kept) == wanted
    assert any(name.endswith("/coll/ucadata.icu") for name in kept)
    assert any(name.endswith(".cnv") for name in kept)  # the converters
    assert any(name.endswith("/zoneinfo64.res") for name in kept)
    for name, item in old[1]:
        if name in kept:  # byte for byte (then padded to the next 16 bytes)
            assert kept[name][:len(item)] == item

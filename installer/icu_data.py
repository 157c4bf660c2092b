"""ICU's data library rebuilt without the parts Qt never reads (Linux; installer/convwiz.spec).

Qt6Core links ICU (libicuuc, libicui18n) and with it libicudata.so.73: 31 MB of data, one
symbol (icudt73_dat) holding an ICU common-data package. Qt6Core calls four parts of ICU
(readelf --dyn-syms): collation (ucol_*: QCollator, which QFileDialog's file list sorts
with), converters (ucnv_*: QStringDecoder's non-UTF codecs), time zones (ucal_*: canonical
ids and display names) and case mapping (u_strToUpper/Lower, no data). ICU's empty
"stubdata" library was tried first and is NOT enough: the file dialogs then printed "Could
not create collator: 4" and sorted file10 before file2 and accented names after z, time-zone
names came back empty and the codecs were gone (DESIGN.md, "Changed, and why"). So the
package is rebuilt without only the trees none of those four reads (DROP: break iteration,
currencies, language and region display names, number spell-out, transliteration, units,
character names, spoofing checks; 30.6 -> 15.6 MB); collation, converters, zones and the
locale and supplemental data they fall back on all stay. The items are copied byte for
byte, in ICU's sorted order, 16-byte aligned, under the original header; a C compiler
wraps the result in a library with the same SONAME and symbol. Without a compiler, or if
anything does not match, the whole library ships and the build says so.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from collections.abc import Iterable
from pathlib import Path

from installer.build_support import NOTE, Entry

DROP = re.compile(
    r"^icudt\d+[lb]/(brkitr|curr|lang|rbnf|region|translit|unit)/"
    r"|^icudt\d+[lb]/(unames\.icu|confusables(WholeScript)?\.cfu)$"
)
"""The items none of collation, converters, time zones and case mapping reads."""

REQUIRED = "/coll/ucadata.icu"
"""An item every trimmed package must still hold (collation's root table): the sign that
the package parsed is the one meant."""

LIBRARY = re.compile(r"libicudata\.so\.\d+")

Item = tuple[str, bytes]


# -- the common-data package ----------------------------------------------------------------


def read_package(data: bytes) -> tuple[bytes, list[Item]] | None:
    """A little-endian ICU common-data package ("CmnD") as its header and its items (name,
    bytes) in table order; None for anything else.

    The header (its size in the first two bytes, magic 0xda27, UDataInfo) is followed by the
    table of contents: the item count, then each item's name and data offsets from the
    table's start; an item runs to the next item's data, the last to the package's end.
    """
    if len(data) < 16 or data[2:4] != b"\xda\x27" or data[12:16] != b"CmnD" or data[8] != 0:
        return None
    (header,) = struct.unpack_from("<H", data)
    (count,) = struct.unpack_from("<I", data, header)
    offsets = [struct.unpack_from("<II", data, header + 4 + 8 * i) for i in range(count)]
    items: list[Item] = []
    for i, (name_off, data_off) in enumerate(offsets):
        end = offsets[i + 1][1] if i + 1 < count else len(data) - header
        start = header + name_off
        name = data[start:data.index(b"\0", start)].decode("ascii")
        items.append((name, data[header + data_off:header + end]))
    return data[:header], items


def write_package(header: bytes, items: list[Item]) -> bytes:
    """The package of `items` under `header`, laid out as ICU's own tools do: the table of
    contents, the names, then each item at a 16-byte boundary."""
    names = b"".join(name.encode("ascii") + b"\0" for name, _ in items)
    toc = 4 + 8 * len(items)
    pos = (toc + len(names) + 15) & ~15
    places = []
    for _name, item in items:
        places.append(pos)
        pos = (pos + len(item) + 15) & ~15
    body = bytearray(pos)
    struct.pack_into("<I", body, 0, len(items))
    name_pos = toc
    for i, (name, item) in enumerate(items):
        struct.pack_into("<II", body, 4 + 8 * i, name_pos, places[i])
        name_pos += len(name) + 1
        body[places[i]:places[i] + len(item)] = item
    body[toc:toc + len(names)] = names
    return header + bytes(body)


def trimmed_package(data: bytes, drop: re.Pattern[str] = DROP) -> tuple[bytes, int, int] | None:
    """The package without the items `drop` finds, with how many items it keeps of how many;
    None when `data` is not a package, or its names are not in ICU's sorted order, or the
    collation root (REQUIRED) would be gone."""
    package = read_package(data)
    if package is None:
        return None
    header, items = package
    kept = [(name, item) for name, item in items if not drop.search(name)]
    names = [name for name, _ in kept]
    if names != sorted(names) or not any(name.endswith(REQUIRED) for name in names):
        return None
    return write_package(header, kept), len(kept), len(items)


# -- the library around it -----------------------------------------------------------------


def _readelf(path: Path, *args: str) -> str:
    return subprocess.run(["readelf", "-W", *args, str(path)], capture_output=True,
                          text=True, check=True).stdout


def _data_symbol(library: Path) -> tuple[str, str, int, int] | None:
    """The library's SONAME and its icudt*_dat symbol: name, address and size."""
    soname = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", _readelf(library, "-d"))
    symbol = re.search(r"^\s*\d+: ([0-9a-f]+)\s+(\d+|0x[0-9a-f]+)\s+OBJECT\s+GLOBAL\s+DEFAULT"
                       r"\s+\d+\s+(icudt\d+[lb]?_dat)$", _readelf(library, "--dyn-syms"), re.M)
    if not soname or not symbol:
        return None
    return soname[1], symbol[3], int(symbol[1], 16), int(symbol[2], 0)


def _file_offset(library: Path, address: int) -> int | None:
    """Where in the file the section holding `address` puts it."""
    offset = None
    section = re.compile(r"\s*\[\s*\d+\]\s+\S+\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)")
    for line in _readelf(library, "-S").splitlines():
        m = section.match(line)
        if m:
            addr, file_off, length = (int(x, 16) for x in m.groups())
            if addr <= address < addr + length and addr:
                offset = file_off + address - addr
    return offset


def package_in(library: Path) -> tuple[str, str, bytes] | None:
    """The ICU data library's SONAME, its icudt*_dat symbol and the bytes that symbol holds
    (the common-data package); None (and a note) when the library has no such symbol."""
    found = _data_symbol(library)
    if found is None:
        print(f"{NOTE} note: {library.name}: no SONAME or icudt*_dat symbol; shipped whole")
        return None
    soname, symbol, address, size = found
    offset = _file_offset(library, address)
    if offset is None:
        return None
    return soname, symbol, library.read_bytes()[offset:offset + size]


def wrap(package: Path, symbol: str, soname: str, cc: str) -> Path | None:
    """A shared library named `soname` whose one symbol `symbol` holds the bytes of
    `package` (16-byte aligned, read-only), beside the package; None if `cc` fails or the
    result does not say that SONAME and symbol."""
    assembly = package.with_suffix(".S")
    assembly.write_text(
        "    .section .rodata\n"
        f"    .globl {symbol}\n"
        f"    .type {symbol}, @object\n"
        "    .balign 16\n"
        f"{symbol}:\n"
        f'    .incbin "{package}"\n'
        f"    .size {symbol}, . - {symbol}\n"
        '    .section .note.GNU-stack,"",@progbits\n')
    library = package.parent / soname
    built = subprocess.run([cc, "-shared", "-nostdlib", f"-Wl,-soname,{soname}",
                            "-o", str(library), str(assembly)], capture_output=True, text=True)
    if built.returncode != 0:
        print(f"{NOTE} note: {cc} could not build the trimmed ICU data "
              f"({built.stderr.strip()[:200]}); shipped whole")
        return None
    check = subprocess.run(["readelf", "-W", "-d", "--dyn-syms", str(library)],
                           capture_output=True, text=True).stdout
    if f"[{soname}]" not in check or not re.search(
            rf"OBJECT\s+GLOBAL\s+DEFAULT\s+\d+\s+{symbol}$", check, re.M):
        return None
    return library


def trimmed_library(src: Path, out_dir: Path, drop: re.Pattern[str] = DROP) -> Path | None:
    """A copy of the ICU data library `src` without `drop`'s items, in `out_dir`, or None
    (then the whole library ships; the build says why where it is not obvious)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None or shutil.which("readelf") is None:
        print(f"{NOTE} note: no C compiler (cc/gcc) or readelf: the ICU data library "
              "ships whole (31 MB); install gcc to trim it to 16 MB")
        return None
    found = package_in(src)
    if found is None:
        return None
    soname, symbol, data = found
    if read_package(data) is None:
        print(f"{NOTE} note: {src.name} is not a little-endian ICU common-data "
              "package (CmnD); shipped whole")
        return None
    trimmed = trimmed_package(data, drop)
    if trimmed is None:
        return None
    package_bytes, kept, total = trimmed
    out_dir.mkdir(parents=True, exist_ok=True)
    package = out_dir / "icudata.dat"
    package.write_bytes(package_bytes)
    library = wrap(package, symbol, soname, cc)
    if library is not None:
        print(f"{NOTE} ICU data trimmed: {kept} of {total} items, "
              f"{src.stat().st_size / 2**20:.1f} -> {library.stat().st_size / 2**20:.1f} MB")
    return library


def trim_in(binaries: Iterable[Entry], out_dir: Path) -> list[Entry]:
    """The binaries with ICU's data library (libicudata.so.N) replaced by its trimmed copy
    where trimmed_library makes one. A failure never fails the build: the whole library
    works, so it ships and the build says so."""
    result: list[Entry] = []
    for dest, src, kind in binaries:
        library = None
        if LIBRARY.fullmatch(Path(dest).name):
            try:
                library = trimmed_library(Path(src), out_dir)
            except Exception as exc:  # noqa: BLE001 - the whole library ships instead
                print(f"{NOTE} note: trimming the ICU data failed ({exc}); shipped whole")
        result.append((dest, str(library) if library is not None else src, kind))
    return result

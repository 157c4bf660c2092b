# shellcheck shell=bash
# Sourced by the scripts in installer/wine/: where the Windows Python lives and how Wine runs it.
#   WINPY_DIR  the environment setup.sh built (default: <repo>/build/winpy; for the copy of
#              these scripts that setup.sh leaves in DIR/bin, that DIR)
# WINEPREFIX is WINPY_DIR/prefix: a Wine "C:" of its own, never the user's ~/.wine.
# WINEDLLOVERRIDES: no Mono/Gecko install prompts (mscoree, mshtml), no desktop menu entries
# from Wine (winemenubuilder), and mscms=n so the stand-in mscms.dll (installer/wine/mscms.c,
# in the prefix's system32) is loaded instead of Wine's own, which aborts in Qt's colour-profile
# calls. WINEDEBUG=-all: Wine's own fixme lines would drown the program's output.
WINE_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WINE_ROOT="$(cd "$WINE_HERE/../.." && pwd)"
if [ -z "${WINPY_DIR:-}" ] && [ -f "$WINE_HERE/../python/python.exe" ]; then
    WINPY_DIR="$WINE_HERE/.."
fi
WINPY_DIR="${WINPY_DIR:-$WINE_ROOT/build/winpy}"
WINPY_DIR="$(mkdir -p "$WINPY_DIR" && cd "$WINPY_DIR" && pwd)"
export WINEPREFIX="$WINPY_DIR/prefix"
export WINEARCH=win64
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d;mscms=n"
# Wine 8 from Debian: the 64-bit loader (wine64) when there is one, else wine
if command -v wine64 >/dev/null 2>&1; then WINE=wine64; else WINE=wine; fi
if [ -x /usr/lib/wine/wine64 ] && ! command -v wine64 >/dev/null 2>&1; then WINE=/usr/lib/wine/wine64; fi
WINPY_EXE="$WINPY_DIR/python/python.exe"

# A new Wine prefix at $WINEPREFIX (kept if it exists): Windows 10, the user's folders
# (Documents, Desktop, ...) real folders inside the prefix, not Wine's links to the Unix home,
# so nothing a test or the demo writes lands in ~; then the stand-in DLLs into its system32.
# The DLLs: built from installer/wine/*.c by winpy_build_standins into $WINPY_DIR/standins.
winpy_prefix() {
    "$WINE" wineboot -i >/dev/null 2>&1 || true
    local sys32="$WINEPREFIX/drive_c/windows/system32"
    [ -d "$sys32" ] || { echo "wine: wineboot made no $sys32" >&2; return 1; }
    "$WINE" reg add 'HKCU\Software\Wine' /v Version /d win10 /f >/dev/null 2>&1 || true
    local link
    for link in "$WINEPREFIX"/drive_c/users/*/*; do
        if [ -L "$link" ]; then rm "$link"; mkdir -p "$link"; fi
    done
    cp "$WINPY_DIR"/standins/*.dll "$sys32/"
}

winpy_build_standins() {
    mkdir -p "$WINPY_DIR/standins"
    local src name
    for src in "$WINE_HERE"/*.c; do
        name="$(basename "$src" .c)"
        x86_64-w64-mingw32-gcc -O2 -Wall -shared -s -o "$WINPY_DIR/standins/$name.dll" \
            "$src" "$WINE_HERE/$name.def" -Wl,--enable-stdcall-fixup
    done
}

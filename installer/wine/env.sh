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

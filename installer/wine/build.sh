#!/usr/bin/env bash
# Build the Windows program and its installer on Linux:
#   1. PyInstaller, run by the Windows CPython of installer/wine/setup.sh under Wine, builds
#      dist/windows/convwiz (convwiz.exe, convwiz-gui.exe, _internal\) from installer/convwiz.spec,
#      the same spec the Linux, macOS and Windows release builds use;
#   2. Debian's makensis compiles installer/convwiz.nsi (the one installer script, also used
#      by .github/workflows/release.yml on Windows) into dist/windows/ConvWizSetup-VERSION.exe.
# Checks that no Wine stand-in DLL (installer/wine/*.c) got into the bundle, prints the sizes.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/env.sh"
cd "$WINE_ROOT"
started=$(date +%s)
OUT="$WINE_ROOT/dist/windows"
rm -rf "$OUT" "$WINE_ROOT/build/pyinstaller-win"
mkdir -p "$OUT"

echo "build-win: PyInstaller under Wine (several minutes)" >&2
# PyInstaller imports asyncssh in its own processes, where cryptography 48+ warns about DSA
# ten times (the program silences it at its one import: wizard/services/simulator.py)
export PYTHONWARNINGS="ignore:DSA is deprecated:UserWarning"
"$HERE/python.sh" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath 'Z:'"$OUT" --workpath 'Z:'"$WINE_ROOT/build/pyinstaller-win" installer/convwiz.spec
for exe in convwiz.exe convwiz-gui.exe; do
    [ -f "$OUT/convwiz/$exe" ] || { echo "build-win: FAILED: $OUT/convwiz/$exe was not made" >&2; exit 1; }
done
for standin in "$HERE"/*.c; do
    name="$(basename "$standin" .c).dll"
    if find "$OUT/convwiz" -iname "$name" | grep -q .; then
        echo "build-win: FAILED: the Wine stand-in $name is in the bundle" >&2
        exit 1
    fi
done
built=$(date +%s)

version="$("$HERE/python.sh" -c 'import wizard; print(wizard.__version__)' | tr -d '\r')"
echo "build-win: makensis (installer/convwiz.nsi), version $version" >&2
SETUP="$OUT/ConvWizSetup-$version.exe"
# Setup's icon, from the program's PNG (release.yml makes the same .ico with Pillow)
icon=()
if command -v convert >/dev/null; then
    convert wizard/resources/icons/convwiz.png -define icon:auto-resize=256,64,48,32,16 \
        "$WINE_ROOT/build/convwiz.ico" && icon=(-DICON="$WINE_ROOT/build/convwiz.ico")
fi
makensis -V2 -DVERSION="$version" -DBUNDLE="$OUT/convwiz" -DOUTFILE="$SETUP" "${icon[@]}" \
    installer/convwiz.nsi
[ -f "$SETUP" ] || { echo "build-win: FAILED: $SETUP was not made" >&2; exit 1; }
echo "build-win: bundle $(du -sm "$OUT/convwiz" | cut -f1) MB on disk, installer $(( $(stat -c %s "$SETUP") / 1048576 )) MB ($(( $(stat -c %s "$SETUP") )) bytes); PyInstaller $(( built - started )) s, makensis $(( $(date +%s) - built )) s" >&2

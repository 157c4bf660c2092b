#!/usr/bin/env bash
# Build the frozen Conversion Wizard on Linux: dist/convwiz/convwiz (one folder).
#
#   installer/build.sh              # a build venv in build/venv (made once, then reused)
#   PYTHON=/path/to/python installer/build.sh
#   CONVWIZ_BUILD_VENV=0 installer/build.sh   # use the current python as it is
#
# Idempotent: run it again and it reuses the venv, reinstalls the project (cheap when
# nothing changed) and rebuilds dist/convwiz from scratch, and the archive handed out,
# dist/convwiz-VERSION-linux-ARCH.tar.gz. Prints the build time and sizes.
# Then scripts/smoke_frozen.sh runs the result with a bare environment.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
started=$(date +%s)

if [[ "${CONVWIZ_BUILD_VENV:-1}" != "0" ]]; then
    VENV="$ROOT/build/venv"
    if [[ ! -x "$VENV/bin/python" ]]; then
        echo "build: creating the build environment $VENV" >&2
        "$PYTHON" -m venv "$VENV"
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
    fi
    PY="$VENV/bin/python"
    echo "build: installing the project and PyInstaller into $VENV" >&2
    "$PY" -m pip install --quiet --upgrade -c "$ROOT/constraints.txt" "${ROOT}[installer]"
else
    PY="$PYTHON"
    "$PY" -m PyInstaller --version >/dev/null 2>&1 || {
        echo "build: $PY has no PyInstaller: pip install -c constraints.txt '.[installer]'" >&2
        exit 2
    }
fi

# an icon for the window managers that want a PNG and for Windows' .ico, from the SVG
ICONS="$ROOT/wizard/resources/icons"
if [[ -f "$ICONS/convwiz.svg" && ! -f "$ICONS/convwiz.png" ]] && command -v convert >/dev/null; then
    echo "build: note: resources/icons/convwiz.png is missing; the build uses the SVG" >&2
fi

echo "build: running PyInstaller (a few minutes)" >&2
# PyInstaller imports asyncssh in its own processes, where cryptography 48+ warns about DSA
# ten times (the program silences it at its one import: wizard/services/simulator.py)
export PYTHONWARNINGS="ignore:DSA is deprecated:UserWarning"
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" \
    "$ROOT/installer/convwiz.spec"

EXE="$ROOT/dist/convwiz/convwiz"
if [[ ! -x "$EXE" ]]; then
    echo "build: FAILED: $EXE was not made" >&2
    exit 1
fi
cp "$ROOT/installer/convwiz.desktop" "$ROOT/dist/convwiz/" 2>/dev/null || true

# what is handed out on Linux: the folder as one archive (Windows gets the NSIS
# installer, macOS a disk image: both compressed too). scripts/smoke_frozen.sh checks its size.
version="$("$EXE" --version | cut -d' ' -f2)"
ARCHIVE="$ROOT/dist/convwiz-${version}-linux-$(uname -m).tar.gz"
rm -f "$ROOT"/dist/convwiz-*-linux-*.tar.gz
tar -C "$ROOT/dist" -czf "$ARCHIVE" convwiz

elapsed=$(( $(date +%s) - started ))
size=$(du -sh "$ROOT/dist/convwiz" | cut -f1)
files=$(find "$ROOT/dist/convwiz" -type f | wc -l)
echo "build: $EXE"
echo "build: convwiz $version"
echo "build: dist/convwiz is $size in $files files; $(basename "$ARCHIVE") is" \
     "$(du -sh "$ARCHIVE" | cut -f1); built in ${elapsed} s"

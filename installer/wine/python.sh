#!/usr/bin/env bash
# Run the Windows CPython that installer/wine/setup.sh built, under Wine, with the working tree
# first on its path:   installer/wine/python.sh -m pytest tests/unit -q
# The working tree: the current folder when it holds wizard/ (run from a repository's root),
# else the repository this script is in; WINPY_REPO names another.
# WINPY_DIR picks the environment (default build/winpy). The output goes through a pipe: Wine
# gives a Windows process invalid standard handles when its output is a file ("init_sys_streams:
# can't initialize sys standard streams"), so `python.sh ... > log` still works.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
[ -x "$WINPY_EXE" ] || [ -f "$WINPY_EXE" ] || { echo "python.sh: no $WINPY_EXE: run installer/wine/setup.sh first" >&2; exit 2; }
repo="${WINPY_REPO:-}"
if [ -z "$repo" ]; then
    if [ -d "$PWD/wizard" ]; then repo="$PWD"; else repo="$WINE_ROOT"; fi
fi
# Wine maps / to Z:, so Z:<path> is the folder (winepath would start Wine once more)
export PYTHONPATH="Z:$(cd "$repo" && pwd)"
export PYTHONUTF8="${PYTHONUTF8:-1}" PYTHONDONTWRITEBYTECODE=1
# Wine passes the Unix environment through; Windows paths for the home and temp folders are
# Wine's own. Keep the Unix ones out of the way of a program that reads them.
unset XDG_STATE_HOME XDG_DATA_HOME XDG_CONFIG_HOME
# Wine drops QT_* variables on the way to a Windows process: pass them as WINPY_QT_*, which
# the harness's sitecustomize.py turns back (installer/wine/sitecustomize.py)
while IFS='=' read -r name _; do
    case "$name" in QT_*) export "WINPY_$name=${!name}" ;; esac
done < <(env)
set +e
"$WINE" "$WINPY_EXE" "$@" 2> >(cat >&2) | cat
status=${PIPESTATUS[0]}
exit "$status"

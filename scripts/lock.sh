#!/usr/bin/env bash
# Write constraints.txt: the exact versions of every package the program, its tests and its
# installer build were last tested with, for every system we ship for (one universal
# resolution: Linux, Windows and macOS, Python 3.11 and newer). Every pip install of .ci/run,
# installer/wine/setup.sh and the README's commands takes it with -c, so a release upstream
# changes nothing here until someone runs this, runs .ci/run, and commits both.
#
#   bash scripts/lock.sh            # needs uv (pip install uv)
#
# The resolution reads a staged copy of what the build reads (pyproject.toml, README.md,
# wizard/), so nothing else of the checkout (virtual environments, Wine prefixes) can change it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v uv >/dev/null || { echo "lock: uv is missing (pip install uv)" >&2; exit 2; }
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cp "$ROOT/pyproject.toml" "$ROOT/README.md" "$STAGE/"
cp -r "$ROOT/wizard" "$STAGE/wizard"
cd "$STAGE"
uv pip compile --quiet --universal --python-version 3.11 --no-header \
    --extra test --extra installer pyproject.toml -o requirements.txt
# a package pinned twice (under two markers) cannot be taken by installer/wine/setup.sh, which
# drops the markers to pin the Windows wheels a Linux pip fetches: refused before anything is
# written, so constraints.txt stays the last good one
dupes=$(grep -v '^ *#' requirements.txt | sed '/^$/d; s/[=; ].*//' | sort | uniq -d)
[ -z "$dupes" ] || { echo "lock: pinned under two markers: $dupes" >&2; exit 1; }
{
    echo "# The versions .ci/run last passed with, on every system we ship for (markers say which)."
    echo "# Written by scripts/lock.sh (uv pip compile --universal); do not edit by hand."
    echo "# pip install -c constraints.txt ... takes them; a package missing here is unpinned."
    grep -v '^ *#' requirements.txt | sed '/^$/d'
} > "$ROOT/constraints.txt"
echo "lock: $(grep -vc '^#' "$ROOT/constraints.txt") packages in $ROOT/constraints.txt" >&2

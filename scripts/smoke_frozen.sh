#!/usr/bin/env bash
# Smoke-test the frozen build (installer/build.sh) as a PM's machine would run it: a bare
# environment, no Python on PATH, no display, no D-Bus session (so no keyring daemon).
#
#   scripts/smoke_frozen.sh [dist/convwiz/convwiz]
#
# Prints the bundle's size on disk and as the download (.tar.gz), and fails when the download
# is over CONVWIZ_BUNDLE_LIMIT_MB (150 MB) or the folder over its ceiling (below). Runs
# `convwiz --version` and `convwiz demo DIR --customers 200 --json`, checks that the biller
# workbook, the flag file, the templates (package data) and the verification figures are
# there, that the project holds no private key and that its files are owner-only; starts the
# window offscreen. Exits non-zero on any failure. Runs on Linux and macOS (bash 3.2, BSD
# tools); scripts/smoke_frozen.ps1 is the same test for Windows.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EXE="${1:-$ROOT/dist/convwiz/convwiz}"
EXE="$(cd "$(dirname "$EXE")" && pwd)/$(basename "$EXE")"
if [[ ! -x "$EXE" ]]; then
    echo "smoke: no frozen program at $EXE: run installer/build.sh first" >&2
    exit 2
fi

BUNDLE="$(dirname "$EXE")"
# Two sizes. The download, what a PM is handed (build.sh's .tar.gz of the folder on Linux;
# the NSIS installer and the disk image are compressed the same way): at most 150 MB
# (issue 12). The folder unpacked on disk: printed, and held under a ceiling so that it
# cannot grow back unnoticed: 363 MB before the trimming, 260 MB, 237 MB without lxml,
# readline, a duplicated libarrow_python and half of ICU's data, then 197 MB without numpy
# (78 MB as .tar.gz); the ceiling is that and 10 MB. Lower it when the bundle shrinks. Linux only by default;
# elsewhere printed, not judged, unless the variables say otherwise.
if [[ "$(uname -s)" == Linux ]]; then
    LIMIT_MB="${CONVWIZ_BUNDLE_LIMIT_MB:-150}"
    FOLDER_LIMIT_MB="${CONVWIZ_FOLDER_LIMIT_MB:-207}"
else
    LIMIT_MB="${CONVWIZ_BUNDLE_LIMIT_MB:-0}"
    FOLDER_LIMIT_MB="${CONVWIZ_FOLDER_LIMIT_MB:-0}"
fi

fail() {
    echo "smoke: FAILED: $*" >&2
    exit 1
}

mb() { echo $(( ($1 + 1048575) / 1048576 )); }
folder_kb=$(du -sk "$BUNDLE" | cut -f1)
folder_mb=$(( (folder_kb + 1023) / 1024 ))
# (awk, not head, ends these pipes: head stopping early would kill the writer with SIGPIPE,
# and pipefail would make that a failure)
archive="$(find "$(dirname "$BUNDLE")" -maxdepth 1 -name "convwiz-*-linux-*.tar.gz" -newer "$EXE" \
    -print | awk 'NR == 1')"
if [[ -n "$archive" ]]; then
    download_bytes=$(wc -c <"$archive" | tr -d ' ')
    download_what="$(basename "$archive")"
else
    download_bytes=$(tar -C "$(dirname "$BUNDLE")" -czf - "$(basename "$BUNDLE")" | wc -c | tr -d ' ')
    download_what="the folder as .tar.gz"
fi
download_mb=$(mb "$download_bytes")
echo "smoke: the bundle $BUNDLE: ${folder_mb} MB on disk in" \
     "$(find "$BUNDLE" -type f | wc -l | tr -d ' ') files; download ($download_what)" \
     "${download_mb} MB (limit ${LIMIT_MB} MB)" >&2
echo "smoke: its largest files:" >&2
find "$BUNDLE" -type f -exec du -k {} + | sort -rn \
    | awk -v root="$BUNDLE/" 'NR <= 8 { sub(root, "", $2); printf "smoke:   %6.1f MB  %s\n", $1 / 1024, $2 }' >&2
if [[ $LIMIT_MB -gt 0 && $download_mb -gt $LIMIT_MB ]]; then
    fail "the download is ${download_mb} MB, over the ${LIMIT_MB} MB limit"
fi
if [[ $FOLDER_LIMIT_MB -gt 0 && $folder_mb -gt $FOLDER_LIMIT_MB ]]; then
    fail "the folder is ${folder_mb} MB on disk, over its ${FOLDER_LIMIT_MB} MB ceiling"
fi
for icon in convwiz.svg step-done.svg; do
    [[ -n "$(find "$BUNDLE" -path "*wizard/resources/icons/$icon" -print)" ]] \
        || fail "the window's icon $icon is not in the bundle (wizard/resources package data)"
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/convwiz-smoke.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/home"
# a PATH with the basic tools and no python at all: symlinks to what the program may call
for tool in sh bash env ls cat uname; do
    found="$(command -v "$tool" || true)"
    [[ -n "$found" ]] && ln -s "$found" "$tmp/bin/$tool"
done
bare=(env -i "HOME=$tmp/home" "PATH=$tmp/bin" "LANG=C.UTF-8" "TMPDIR=$tmp")

echo "smoke: $EXE --version" >&2
version="$("${bare[@]}" "$EXE" --version)" || fail "--version exited $?"
[[ "$version" == convwiz\ * ]] || fail "--version printed '$version'"
echo "smoke:   $version" >&2

echo "smoke: $EXE demo (200 customers) with a bare environment" >&2
started=$(date +%s)
set +e
(cd "$tmp" && "${bare[@]}" "$EXE" demo "$tmp/demo" --customers 200 --json) \
    >"$tmp/demo.json" 2>"$tmp/demo.err"
code=$?
set -e
elapsed=$(( $(date +%s) - started ))
if [[ $code -ne 0 ]]; then
    cat "$tmp/demo.err" >&2
    fail "convwiz demo exited $code"
fi

# the checks read the JSON with the system's tools only: no python here either
json="$(tail -n 1 "$tmp/demo.json")"
workbook="$(printf '%s' "$json" | sed -n 's/.*"workbook": "\([^"]*\)".*/\1/p')"
flag_file="$(printf '%s' "$json" | sed -n 's/.*"flag_file": "\([^"]*\)".*/\1/p')"
[[ -n "$workbook" && -f "$workbook" ]] || fail "no biller workbook ($workbook)"
# encrypted (ECMA-376 agile): an OLE compound file, never the plain XLSX zip
[[ "$(head -c 8 "$workbook" | od -An -tx1 | tr -d ' \n')" == "d0cf11e0a1b11ae1" ]] \
    || fail "$workbook is not an encrypted workbook (OLE compound file)"
[[ -n "$flag_file" && -f "$flag_file" ]] || fail "no flag file ($flag_file)"
head -n 1 "$flag_file" | grep -q "^Customer Name,UTI Account Number,Email,Paperless,Autopay," \
    || fail "the flag file's header is wrong"
printf '%s' "$json" | grep -q '"preserved": false' || fail "verification found no drift"
printf '%s' "$json" | grep -q '"lost": ' || fail "no verification figures in the result"
if grep -rl "PRIVATE KEY" "$tmp/demo" >/dev/null 2>&1; then
    fail "a private key was left in the project"
fi
# the templates are package data (wizard/resources/templates): the demo writes each one
templates=$(find "$tmp/demo" -path "*templates/*.txt" -type f -size +0 | wc -l | tr -d ' ')
[[ $templates -ge 3 ]] || fail "the demo wrote $templates templates, not 3"
# owner-only files (POSIX find: GNU's -perm /077 is unknown to macOS' find)
open_files="$(find "$tmp/demo" -type f \( -perm -040 -o -perm -020 -o -perm -010 \
    -o -perm -004 -o -perm -002 -o -perm -001 \) -print)"
[[ -z "$open_files" ]] || fail "a file of the project is readable by others: $open_files"

# the window starts (Qt's libraries and plugins are all there) and keeps running until
# stopped: offscreen, so no display is needed; exit 124 is `timeout` stopping it
if [[ "${CONVWIZ_SMOKE_GUI:-1}" != "0" ]]; then
    echo "smoke: $EXE gui (offscreen, stopped after 8 s)" >&2
    # no `timeout` on macOS: start it in the background, wait, and stop it ourselves
    (cd "$tmp" && exec "${bare[@]}" QT_QPA_PLATFORM=offscreen "$EXE" gui) \
        >"$tmp/gui.out" 2>"$tmp/gui.err" &
    gui_pid=$!
    for _ in 1 2 3 4 5 6 7 8; do
        sleep 1
        kill -0 "$gui_pid" 2>/dev/null || break
    done
    if kill -0 "$gui_pid" 2>/dev/null; then
        kill "$gui_pid"
        wait "$gui_pid" 2>/dev/null || true
        running=1
    else
        set +e; wait "$gui_pid"; code=$?; set -e
        running=0
    fi
    if [[ $running -ne 1 ]] || grep -qiE "traceback|could not load|cannot start" "$tmp/gui.err"; then
        cat "$tmp/gui.err" >&2
        fail "the window did not start (exit ${code:-?})"
    fi
fi

# the window's worker processes start as `convwiz _ui-child` and answer in JSON lines
child="$(echo "not a job" | "${bare[@]}" "$EXE" _ui-child 2>/dev/null || true)"
[[ "$child" == *'"no job given"'* ]] || fail "convwiz _ui-child did not answer: $child"

echo "smoke: OK: the frozen demo finished in ${elapsed} s; workbook $(basename "$workbook")," \
     "$(grep -c . "$flag_file") lines in the flag file" >&2

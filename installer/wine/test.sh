#!/usr/bin/env bash
# The portable part of the test suite, run by the Windows CPython of installer/wine/setup.sh
# under Wine: tests/unit (core, flow, the CLI), tests/integration (the demo, the provider
# simulator, faults) and the window's tests on Qt's offscreen platform (tests/ui).
#
# Not under Wine (README, "Windows under Wine", says why): the tests marked sshd (OpenSSH's
# server is a Linux program the Windows Python cannot start), keyring_real (the Secret Service
# is Linux's; the Windows keyring is checked by setup.sh's own round trip), libreoffice
# (soffice is a Linux program), atspi (Linux's accessibility bus) and orca (GNOME's screen
# reader, on that bus). The slow ones run: the crash tests (TerminateProcess in the middle of
# a step) take about 80 s here.
#
# NOT_UNDER_WINE names single tests of those directories that ask a Linux-only question.
# Nothing else is set aside: a test that fails under Windows fails this run.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/env.sh"
cd "$WINE_ROOT"

MARKERS="not sshd and not keyring_real and not libreoffice and not atspi and not orca"
# not a Windows question: "no display" is Linux's missing DISPLAY/WAYLAND_DISPLAY; a Windows
# session always has a desktop (and Wine's explorer.exe is one)
NOT_UNDER_WINE=(
    tests/integration/test_environment.py::test_no_display_is_exit_2
)
args=()
for test in "${NOT_UNDER_WINE[@]}"; do args+=(--deselect "$test"); done

export QT_QPA_PLATFORM=offscreen
# Python's UTF-8 mode off, as on a Windows laptop (python.sh turns it on for the build): the
# program's own output is UTF-8 by itself, its files are read as they say, and a test that
# decodes a child's output with the ANSI code page (cp1252) fails here
export PYTHONUTF8=0
# Wine's own server has crashed in the middle of a run here ("wineserver64: server/fd.c:1644:
# set_fd_events: Assertion `poll_users[user] == fd' failed", once in a test of the provider
# simulator that passed when run again). Every process of the prefix then hangs for good, still
# holding python.sh's pipe, and the run would wait until CI's limit. A watchdog sees the crash,
# ends the prefix's processes, and the suite runs once more: a crash of the emulator is not a
# failure of the program. A second crash, or any failed test, fails the run.
kill_prefix() {  # every Wine process of this prefix (the server is gone: `wineserver -k` can't)
    local p
    for p in /proc/[0-9]*; do
        case "$(cat "$p/comm" 2>/dev/null)" in *.exe | wine*) ;; *) continue ;; esac
        if { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qxF "WINEPREFIX=$WINEPREFIX"; then
            kill -9 "${p#/proc/}" 2>/dev/null || true
        fi
    done
}
run_suite() {  # $1: the log; the status of pytest, or 99 when Wine's server crashed
    local log="$1" pid watcher
    "$HERE/python.sh" -m pytest tests/unit tests/integration tests/ui -q -m "$MARKERS" \
        -p no:cacheprovider "${args[@]}" >"$log" 2>&1 &
    pid=$!
    tail -n +1 -f --pid="$pid" "$log" &
    watcher=$!
    while kill -0 "$pid" 2>/dev/null; do
        if grep -qE 'wineserver[0-9]*: .*Assertion' "$log"; then
            echo "test.sh: Wine's server crashed; ending the prefix's processes" >&2
            sleep 5
            kill_prefix
            wait "$pid" 2>/dev/null
            wait "$watcher" 2>/dev/null
            return 99
        fi
        sleep 2
    done
    wait "$pid"
    local status=$?
    wait "$watcher" 2>/dev/null
    return "$status"
}
log="$(mktemp)"
set +e
run_suite "$log"
status=$?
if [ "$status" = 99 ]; then
    echo "test.sh: the whole suite once more, after Wine's own server crashed" >&2
    run_suite "$log"
    status=$?
fi
set -e
if [ "$status" = 99 ]; then echo "test.sh: Wine's server crashed twice" >&2; exit 1; fi
# A Windows process that Wine aborts (an unimplemented function) may still exit 0: only a
# run that printed pytest's closing line counts.
summary="$(grep -E '^(=+ )?[0-9]+ (passed|failed|error)' "$log" | tail -n 1 || true)"
rm -f "$log"
if [ "$status" = 5 ]; then echo "test.sh: pytest collected no tests" >&2; exit 1; fi
if [ -z "$summary" ]; then
    echo "test.sh: pytest ended without its summary line: the process died under Wine" >&2
    exit 1
fi
exit "$status"

#!/usr/bin/env bash
# The portable part of the test suite, run by the Windows CPython of installer/wine/setup.sh
# under Wine: tests/unit (core, flow, the CLI), tests/integration (the demo, the provider
# simulator, faults) and the window's tests on Qt's offscreen platform (tests/ui).
#
# Not under Wine (README, "Windows under Wine", says why): the tests marked sshd (OpenSSH's
# server is a Linux program the Windows Python cannot start), keyring_real (the Secret Service
# is Linux's; the Windows keyring is checked by setup.sh's own round trip), libreoffice
# (soffice is a Linux program) and atspi (Linux's accessibility bus), and the slow ones (the
# crash, temp-file and print tests run on Linux; under Wine each child process takes seconds).
#
# SET_ASIDE: tests that still fail under Windows CPython (issue 21 stays open for them), each
# with what was seen. Each comes off this list when it is fixed; the list is the only place
# they are set aside.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/env.sh"
cd "$WINE_ROOT"

MARKERS="not sshd and not keyring_real and not libreoffice and not atspi and not slow"
SET_ASIDE=(
    # busy detection without /proc/locks: the holder file and its live process were not seen
    tests/unit/test_portfolio.py::test_a_project_another_process_writes_is_busy_with_its_last_state
    # a bare environment on Windows still has a keyring (Credential Manager): the test expects
    # the demo's "kept in memory only" password
    tests/integration/test_demo.py::test_the_demo_leaves_a_real_biller_workbook
    # asserts POSIX modes (0o077) on every file of the demo
    tests/integration/test_demo.py::test_no_readable_customer_file_and_no_key_is_left_in_the_project
    # the documents folder comes from the system on Windows, not from HOME
    tests/integration/test_demo.py::test_a_demo_without_a_folder_goes_under_documents_and_never_reuses_a_project
    tests/integration/test_demo.py::test_prepare_demo_gives_the_gui_a_project_and_a_running_simulator
    # the provider-sim command as a child process under Wine: its announcement and SIGTERM
    tests/integration/test_sftp_simulator.py::test_host_key_is_printed_as_openssh_prints_it
    tests/integration/test_sftp_simulator.py::test_provider_sim_command_announces_itself_and_stops_on_sigterm
    # a folder name with '"', which Windows forbids
    tests/ui/test_portfolio_window.py::test_the_window_settings_are_read_without_qt
)
# not a Windows question: "no display" is Linux's missing DISPLAY/WAYLAND_DISPLAY; a Windows
# session always has a desktop (and Wine's explorer.exe is one)
NOT_UNDER_WINE=(
    tests/integration/test_environment.py::test_no_display_is_exit_2
)
# -W ignore::PytestUnraisableExceptionWarning: under Windows an SQLite connection of some
# earlier test is left to the garbage collector, whose ResourceWarning then fails whichever test
# runs at that moment (test_reader, test_templates, ...); not yet traced to its test (issue 21).
args=()
for test in "${SET_ASIDE[@]}" "${NOT_UNDER_WINE[@]}"; do args+=(--deselect "$test"); done

export QT_QPA_PLATFORM=offscreen
log="$(mktemp)"
set +e
"$HERE/python.sh" -m pytest tests/unit tests/integration tests/ui -q -m "$MARKERS" \
    -p no:cacheprovider "${args[@]}" \
    -W "ignore::pytest.PytestUnraisableExceptionWarning" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
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

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
# UNTIL_ITEM4: tests that fail under Windows CPython today because of a program bug or a
# POSIX-only assertion that issue 21 item 4 fixes (branch win-fixes). Each comes off this
# list when its fix lands; the list is the only place they are set aside.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/env.sh"
cd "$WINE_ROOT"

MARKERS="not sshd and not keyring_real and not libreoffice and not atspi and not slow"
UNTIL_ITEM4=(
    # POSIX file modes (0600/0700) asserted where Windows promises per-user profile folders
    tests/unit/test_export_flags.py::test_flag_file_is_exactly_the_contract
    tests/unit/test_lock.py::test_lock_file_is_private
    tests/unit/test_log_redaction.py::test_rotated_logs_stay_private
    tests/unit/test_outreach.py::test_outreach_lists
    tests/unit/test_report.py::test_workbook_after_verification
    tests/unit/test_store.py::test_integrity_check_passes_and_files_are_private
    tests/unit/test_store.py::test_writing_a_file_never_changes_an_existing_folders_permissions
    tests/unit/test_templates.py::test_the_calendar_has_go_live_window_and_every_due_date
    tests/unit/test_templates.py::test_files_are_private_and_in_the_manifest
    tests/unit/test_tokens.py::test_tokens_for_every_customer_with_an_email
    tests/unit/test_verify.py::test_figures_on_known_drift
    tests/unit/test_verify.py::test_losses_exit_3_list_every_customer_and_need_attention
    tests/unit/test_xref.py::test_clean_cross_reference_writes_update_and_rollback
    tests/unit/test_xref.py::test_without_xref_the_newest_file_in_inbox_is_used
    # signal.SIGKILL does not exist on Windows
    tests/unit/test_lock.py::test_stale_lock_of_a_killed_process_is_not_a_problem
    # the manifest's backslash paths: purge does not match its folders
    tests/unit/test_purge.py::test_purge_removes_exactly_the_manifest_and_keeps_the_pms_files
    # the reader: ragged rows and title rows differ on Windows
    tests/unit/test_reader.py::test_ragged_rows_are_padded_and_extra_values_named
    tests/unit/test_reader.py::test_title_rows_and_excel_sep_line_are_skipped
    # a name with Windows-forbidden characters
    "tests/unit/test_vocabulary.py::test_names_with_spaces_letters_and_windows_forbidden_characters[Acme \"Power\" <Light>? *]"
    # the demo stops at fetch-xref: the simulator never answers under Windows
    tests/unit/test_no_numpy.py::test_every_module_imports_and_the_demo_runs_without_numpy
    tests/ui/test_accessibility.py::test_demo_walk_with_a_screen_reader_polling
    tests/ui/test_accessibility.py::test_every_page_through_the_accessibility_tree
    tests/ui/test_walkthrough.py::test_demo_project_walks_through_every_step
    tests/integration/test_demo.py
    # the simulator (asyncssh) under Windows: no answer, no home directory
    tests/integration/test_sftp_simulator.py::test_host_key_is_printed_as_openssh_prints_it
    tests/integration/test_sftp_simulator.py::test_connect_send_fetch_round_trip
    tests/integration/test_sftp_simulator.py::test_no_secret_in_any_file_of_the_project
    tests/integration/test_sftp_simulator.py::test_server_refusing_renames_gets_the_whole_file_under_its_name
    tests/integration/test_sftp_simulator.py::test_provider_sim_command_announces_itself_and_stops_on_sigterm
    tests/integration/test_sftp_simulator.py::test_separate_processes_share_the_secret_through_the_keyring
)
# not a Windows question: "no display" is Linux's missing DISPLAY/WAYLAND_DISPLAY; a Windows
# session always has a desktop (and Wine's explorer.exe is one)
NOT_UNDER_WINE=(
    tests/integration/test_environment.py::test_no_display_is_exit_2
)
args=()
for test in "${UNTIL_ITEM4[@]}" "${NOT_UNDER_WINE[@]}"; do args+=(--deselect "$test"); done

export QT_QPA_PLATFORM=offscreen
set +e
"$HERE/python.sh" -m pytest tests/unit tests/integration tests/ui -q -m "$MARKERS" \
    -p no:cacheprovider "${args[@]}"
status=$?
set -e
if [ "$status" = 5 ]; then echo "test.sh: pytest collected no tests" >&2; exit 1; fi
exit "$status"

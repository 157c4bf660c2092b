#!/usr/bin/env bash
# Try the Windows installer as a PM would, under Wine, in a new Wine prefix of its own (no
# Python anywhere, only Wine and the stand-in DLLs of installer/wine/*.c):
#   1. ConvWizSetup-*.exe /S installs silently (per user; program folder, Start menu entries,
#      uninstall registry key, PATH);
#   2. the installed convwiz.exe --version, then convwiz.exe demo to its end (exit 0);
#   3. the installed convwiz-gui.exe opens the window on Xvfb; a screenshot is saved to
#      dist/windows/installed-window.png and must show more than a blank screen;
#   4. Uninstall.exe /S removes the program folder, the Start menu entries, the uninstall key
#      and the PATH entry, and leaves the user's projects (Documents\Conversion Wizard).
# Prints the installed size and how long each part took. Run after installer/wine/build.sh.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/env.sh"
cd "$WINE_ROOT"
SETUP="$(ls "$WINE_ROOT"/dist/windows/ConvWizSetup-*.exe | head -1)"
[ -f "$SETUP" ] || { echo "try: no dist/windows/ConvWizSetup-*.exe: run installer/wine/build.sh" >&2; exit 2; }
export WINEPREFIX="$WINPY_DIR/try-prefix"
unset PYTHONPATH PYTHONHOME QT_QPA_PLATFORM XDG_STATE_HOME XDG_DATA_HOME XDG_CONFIG_HOME
fail() { echo "try: FAILED: $*" >&2; exit 1; }
t() { date +%s; }
started=$(t)

[ -d "$WINEPREFIX" ] && { "$WINE"server -k 2>/dev/null || wineserver -k 2>/dev/null || true; }
rm -rf "$WINEPREFIX"
winpy_prefix
user="$(ls "$WINEPREFIX/drive_c/users" | grep -v -x Public | head -1)"
HOMEDIR="$WINEPREFIX/drive_c/users/$user"
INST="$HOMEDIR/AppData/Local/Programs/ConvWiz"
MENU="$HOMEDIR/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Conversion Wizard"
KEY='HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\ConvWiz'
WINESERVER="$(dirname "$(command -v "$WINE")")/wineserver"
[ -x "$WINESERVER" ] || WINESERVER=/usr/lib/wine/wineserver64
[ -x "$WINESERVER" ] || WINESERVER=wineserver
reg_path() { "$WINE" reg query 'HKCU\Environment' /v Path 2>/dev/null | tr -d '\r' | cat; }
prefix_ready=$(t)

echo "try: installing $(basename "$SETUP") silently" >&2
"$WINE" "$SETUP" /S 2>&1 | cat
"$WINESERVER" -w
[ -f "$INST/convwiz.exe" ] && [ -f "$INST/convwiz-gui.exe" ] || fail "no program in $INST"
[ -f "$MENU/Conversion Wizard.lnk" ] || fail "no Start menu entry in $MENU"
"$WINE" reg query "$KEY" 2>&1 | tr -d '\r' | grep -q 'DisplayName.*Conversion Wizard' || fail "no uninstall key $KEY"
reg_path | grep -qi 'Programs\\ConvWiz' || fail "the program folder is not on the user's PATH"
echo "try: installed: $(du -sm "$INST" | cut -f1) MB in $INST" >&2
installed=$(t)

echo "try: convwiz.exe --version" >&2
version="$("$WINE" "$INST/convwiz.exe" --version 2>&1 | tr -d '\r' | cat)"
echo "$version"
echo "$version" | grep -q '^convwiz [0-9]' || fail "convwiz.exe --version said: $version"

echo "try: convwiz.exe demo (the whole conversion against the built-in simulator)" >&2
set +e
timeout 900 "$WINE" "$INST/convwiz.exe" demo 2>&1 | tr -d '\r' | tee "$WINPY_DIR/try-demo.log"
demo_status=${PIPESTATUS[0]}
set -e
[ "$demo_status" = 0 ] || fail "convwiz.exe demo exited $demo_status (log: $WINPY_DIR/try-demo.log)"
demo_done=$(t)

echo "try: the installed window on Xvfb" >&2
displayfile="$(mktemp)"
Xvfb -displayfd 3 -screen 0 1280x860x24 -nolisten tcp 3>"$displayfile" 2>/dev/null &
xvfb_pid=$!
for _ in $(seq 1 30); do [ -s "$displayfile" ] && break; sleep 1; done
[ -s "$displayfile" ] || fail "Xvfb did not start"
export DISPLAY=":$(head -1 "$displayfile")"
rm -f "$displayfile"
# convwiz.exe gui: the same program and window as the Start menu's convwiz-gui.exe, with a
# console, so its output comes through the pipe (the windowless one was not seen to open its
# window under Wine; on Windows the release workflow's smoke test opens it)
"$WINE" "$INST/convwiz.exe" gui --demo 2>&1 | cat > "$WINPY_DIR/try-gui.log" &
gui_pid=$!
viewable() { xwininfo -id "$1" 2>/dev/null | grep -q 'Map State: IsViewable'; }
shot="$WINE_ROOT/dist/windows/installed-window.png"
rm -f "$shot"
ok=0
for _ in $(seq 1 180); do
    # the demo project's window ("<biller> – Conversion Wizard"), not the start screen that
    # shows while the demo project is made
    tree="$(xwininfo -root -tree 2>/dev/null || true)"
    window_id="$(echo "$tree" | grep ' – Conversion Wizard"' | awk 'NR == 1 {print $1}' || true)"
    start_id="$(echo "$tree" | grep '"Conversion Wizard"' | awk 'NR == 1 {print $1}' || true)"
    # shown, and the start screen (shown while the demo is made) no longer over it
    if [ -n "$window_id" ] && viewable "$window_id" && { [ -z "$start_id" ] || ! viewable "$start_id"; }; then
        import -window "$window_id" "$shot" 2>/dev/null || true
        # a drawn window has text and icons: many colours, not the blank screen
        if [ -f "$shot" ] && [ "$(convert "$shot" -format %k info:)" -gt 200 ]; then ok=1; break; fi
    fi
    kill -0 "$gui_pid" 2>/dev/null || break
    sleep 1
done
windows="$(xwininfo -root -tree 2>/dev/null | grep -o '"[^"]*Conversion Wizard"' | sort -u | tr '\n' ' ' || true)"
kill "$gui_pid" 2>/dev/null || true
"$WINESERVER" -k 2>/dev/null || true
kill "$xvfb_pid" 2>/dev/null || true
[ "$ok" = 1 ] || fail "the window did not open (log: $WINPY_DIR/try-gui.log)"
echo "try: window $windows: screenshot $shot" >&2
window_done=$(t)

echo "try: uninstalling silently" >&2
"$WINE" "$INST/Uninstall.exe" /S 2>&1 | cat
"$WINESERVER" -w
[ ! -e "$INST" ] || fail "the program folder is still there: $(find "$INST" | head -5)"
[ ! -e "$MENU" ] || fail "the Start menu entries are still there"
if "$WINE" reg query "$KEY" >/dev/null 2>&1; then fail "the uninstall key is still there"; fi
if reg_path | grep -qi 'Programs\\ConvWiz'; then fail "the PATH entry is still there"; fi
ls -d "$HOMEDIR/Documents/Conversion Wizard"/demo-* >/dev/null 2>&1 \
    || fail "the user's demo projects are gone (Documents\\Conversion Wizard)"
echo "try: uninstalled cleanly; kept: $(ls "$HOMEDIR/Documents/Conversion Wizard" | wc -l) project(s) in Documents\\Conversion Wizard" >&2
"$WINESERVER" -k 2>/dev/null || true
echo "try: done: prefix $(( prefix_ready - started )) s, install $(( installed - prefix_ready )) s, demo $(( demo_done - installed )) s, window $(( window_done - demo_done )) s, uninstall $(( $(t) - window_done )) s" >&2

; NSIS script for the Conversion Wizard's Windows installer: the one installer script.
;
; Built on Linux by .ci/run (installer/wine/build.sh: PyInstaller under Wine's Windows
; Python, then Debian's makensis) and on Windows by .github/workflows/release.yml (PyInstaller,
; then the runner's makensis), from the same folder dist\convwiz that installer/convwiz.spec
; makes:
;     makensis -DVERSION=0.1.0 -DBUNDLE=..\dist\convwiz -DOUTFILE=..\dist\installer\ConvWizSetup-0.1.0.exe installer\convwiz.nsi
; (relative paths are relative to this script's folder; on Linux / works as well as \).
;
; Per user, no administrator rights (a PM's workstation): the program goes to
; %LOCALAPPDATA%\Programs\ConvWiz, the Start menu entries to the user's own Start menu, the
; uninstall entry to HKCU, and the program folder onto the user's PATH (for `convwiz demo` in
; a new terminal). Silent: ConvWizSetup.exe /S, and Uninstall.exe /S. The uninstaller removes
; exactly those; the user's projects (Documents\Conversion Wizard), the window's settings
; (%APPDATA%\Convwiz) and the log (%LOCALAPPDATA%\convwiz) stay.
; The program is x64 only; so is Setup where this NSIS has the 64-bit stubs (Debian's does,
; and Wine without its 32-bit half runs only those). An NSIS with only the x86 stubs
; (the official Windows build) makes a 32-bit Setup that installs the same files.
!if /FileExists "${NSISDIR}\Stubs\lzma_solid-amd64-unicode"
  Target amd64-unicode
!else
  Unicode true
!endif
ManifestDPIAware true
RequestExecutionLevel user
SetCompressor /SOLID lzma
SetCompressorDictSize 64

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "WordFunc.nsh"
!include "WinMessages.nsh"

!ifndef VERSION
  !define VERSION "0.1.0"
!endif
!ifndef BUNDLE
  !define BUNDLE "..\dist\convwiz"
!endif
!ifndef OUTFILE
  !define OUTFILE "..\dist\installer\ConvWizSetup-${VERSION}.exe"
!endif
!define APPNAME "Conversion Wizard"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\ConvWiz"
!ifndef ICON
  !define ICON "..\wizard\resources\icons\convwiz.ico"
!endif

Name "${APPNAME}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\ConvWiz"
InstallDirRegKey HKCU "${UNINSTKEY}" "InstallLocation"
BrandingText "${APPNAME} ${VERSION}"
!if /FileExists "${ICON}"
  !define MUI_ICON "${ICON}"
  !define MUI_UNICON "${ICON}"
!endif

!define MUI_FINISHPAGE_RUN "$INSTDIR\convwiz-gui.exe"
!define MUI_FINISHPAGE_RUN_PARAMETERS "gui --demo"
!define MUI_FINISHPAGE_RUN_TEXT "Open the demo now"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductName" "${APPNAME}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileDescription" "${APPNAME} setup"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "LegalCopyright" "Conversion Wizard team"

!if ! /FileExists "${BUNDLE}\convwiz-gui.exe"
  !error "${BUNDLE}\convwiz-gui.exe is missing: build installer/convwiz.spec first"
!endif

Section "Install"
  SetShellVarContext current
  ; a reinstall replaces the program's files: no module of an older version lingers. Only
  ; what this installer puts there (the folder may have been chosen by hand)
  ${If} ${FileExists} "$INSTDIR\convwiz.exe"
    RMDir /r "$INSTDIR\_internal"
  ${EndIf}
  SetOutPath "$INSTDIR"
  File /r "${BUNDLE}\*"
  WriteUninstaller "$INSTDIR\Uninstall.exe"

  CreateDirectory "$SMPROGRAMS\${APPNAME}"
  CreateShortcut "$SMPROGRAMS\${APPNAME}\${APPNAME}.lnk" "$INSTDIR\convwiz-gui.exe" "gui"
  CreateShortcut "$SMPROGRAMS\${APPNAME}\${APPNAME} demo.lnk" "$INSTDIR\convwiz-gui.exe" "gui --demo"
  CreateShortcut "$SMPROGRAMS\${APPNAME}\Uninstall ${APPNAME}.lnk" "$INSTDIR\Uninstall.exe"

  WriteRegStr HKCU "${UNINSTKEY}" "DisplayName" "${APPNAME}"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTKEY}" "Publisher" "Conversion Wizard team"
  WriteRegStr HKCU "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\convwiz-gui.exe"
  WriteRegStr HKCU "${UNINSTKEY}" "UninstallString" '"$INSTDIR\Uninstall.exe"'
  WriteRegStr HKCU "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\Uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoRepair" 1

  ; the program folder on the user's PATH, once
  ReadRegStr $0 HKCU "Environment" "Path"
  ${WordFind} "$0" "$INSTDIR" "E+1{" $1
  ${If} ${Errors}
    ${If} $0 == ""
      WriteRegExpandStr HKCU "Environment" "Path" "$INSTDIR"
    ${Else}
      WriteRegExpandStr HKCU "Environment" "Path" "$0;$INSTDIR"
    ${EndIf}
    SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=2000
  ${EndIf}
SectionEnd

Section "Uninstall"
  SetShellVarContext current
  RMDir /r "$SMPROGRAMS\${APPNAME}"
  DeleteRegKey HKCU "${UNINSTKEY}"
  ReadRegStr $0 HKCU "Environment" "Path"
  ${un.WordReplace} "$0" ";$INSTDIR" "" "+" $1
  ${un.WordReplace} "$1" "$INSTDIR;" "" "+" $1
  ${un.WordReplace} "$1" "$INSTDIR" "" "+" $1
  ${If} $1 != $0
    ${If} $1 == ""
      DeleteRegValue HKCU "Environment" "Path"
    ${Else}
      WriteRegExpandStr HKCU "Environment" "Path" "$1"
    ${EndIf}
    SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=2000
  ${EndIf}
  ; the program's files, then its folder if that left it empty: projects, settings and
  ; logs live elsewhere and stay
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\convwiz.exe"
  Delete "$INSTDIR\convwiz-gui.exe"
  Delete "$INSTDIR\Uninstall.exe"
  RMDir "$INSTDIR"
SectionEnd

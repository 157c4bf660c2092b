; Inno Setup script for the Conversion Wizard on Windows.
;
; Build the program first on Windows, from the repository root:
;     py -m venv build\venv && build\venv\Scripts\pip install .[installer]
;     build\venv\Scripts\pyinstaller --noconfirm --clean installer\convwiz.spec
; which makes dist\convwiz\convwiz.exe and convwiz-gui.exe; then compile this script:
;     set CONVWIZ_VERSION=0.1.0
;     "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" installer\convwiz.iss
; which writes dist\installer\ConvWizSetup-<version>.exe. .github/workflows/release.yml
; does exactly this on windows-latest (Inno Setup from Chocolatey). Relative paths below
; (OutputDir, Source) are relative to this script's folder, Inno Setup's SourceDir.
;
; The program is installed per user by default (no administrator rights needed on a PM's
; workstation); secrets go to the Windows Credential Locker through keyring, never to a file.
; The icon: wizard\resources\icons\convwiz.ico (the workflow makes it from convwiz.png with
; Pillow; see macos.md for the commands); without it Setup uses Inno Setup's own icon.

#if VER < EncodeVer(6,3,0)
  #error Inno Setup 6.3 or later is needed (ArchitecturesAllowed=x64compatible)
#endif

#define AppName "Conversion Wizard"
#define AppVersion GetEnv("CONVWIZ_VERSION")
#if AppVersion == ""
  #define AppVersion "0.1.0"
#endif
#define AppExe "convwiz.exe"
#define GuiExe "convwiz-gui.exe"

[Setup]
AppId={{6E5A0C2B-3F1D-4C8E-9B7A-2D8C1E0F4A61}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Conversion Wizard team
DefaultDirName={autopf}\ConvWiz
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\dist\installer
OutputBaseFilename=ConvWizSetup-{#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\{#GuiExe}
#if FileExists(AddBackslash(SourcePath) + "..\wizard\resources\icons\convwiz.ico")
SetupIconFile=..\wizard\resources\icons\convwiz.ico
#endif
; put the program on PATH so `convwiz demo` works in a new terminal
ChangesEnvironment=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"
Name: "addtopath"; Description: "Add convwiz to PATH (for the command line)"; GroupDescription: "Command line:"

[Files]
#if !FileExists(AddBackslash(SourcePath) + "..\dist\convwiz\convwiz-gui.exe")
  #error dist\convwiz\convwiz-gui.exe is missing: build installer\convwiz.spec first
#endif
Source: "..\dist\convwiz\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
; the window: convwiz-gui.exe, the same program built without a console window
Name: "{group}\{#AppName}"; Filename: "{app}\{#GuiExe}"; Parameters: "gui"; WorkingDir: "{userdocs}"
Name: "{group}\{#AppName} demo"; Filename: "{app}\{#GuiExe}"; Parameters: "gui --demo"; WorkingDir: "{userdocs}"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#GuiExe}"; Parameters: "gui"; WorkingDir: "{userdocs}"; Tasks: desktopicon

[Registry]
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\{#GuiExe}"; Parameters: "gui --demo"; Description: "Open the demo now"; Flags: nowait postinstall skipifsilent

[Code]
function NeedsAddPath(Dir: string): Boolean;
var
  Current: string;
begin
  if not RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Current) then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Current) + ';') = 0;
end;

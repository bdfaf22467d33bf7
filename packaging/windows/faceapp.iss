; Inno Setup script for the Windows installer (cannot be built on the Linux CI; see README.md).
; Build the one-folder app first with windows\build.ps1, which then runs ISCC on this file.
#define AppVersion GetEnv("FACEAPP_VERSION")

[Setup]
AppId={{6F1C2B0E-5D1A-4C53-9B9B-FACEA9900001}
AppName=faceapp
AppVersion={#AppVersion}
DefaultDirName={autopf}\faceapp
DefaultGroupName=faceapp
OutputDir=..\..\dist
OutputBaseFilename=faceapp-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\faceapp.ico
Compression=lzma2
SolidCompression=yes
ArchitecturesInstallIn64BitMode=x64compatible
PrivilegesRequiredOverridesAllowed=dialog

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
Name: "zh"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"

[Files]
Source: "..\..\dist\faceapp\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\faceapp"; Filename: "{app}\faceapp.exe"
Name: "{autodesktop}\faceapp"; Filename: "{app}\faceapp.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"

[Run]
Filename: "{app}\faceapp.exe"; Parameters: "--self-test"; Flags: runhidden waituntilterminated; StatusMsg: "Checking the installation..."
Filename: "{app}\faceapp.exe"; Description: "{cm:LaunchProgram,faceapp}"; Flags: nowait postinstall skipifsilent

; kasse installer for 64-bit Windows, built on Linux with Debian's makensis:
;   makensis -DVERSION=0.1.0 -DNUMVERSION=0.1.0.0 -DEXE=/abs/kasse.exe -DOUTFILE=/abs/kasse-0.1.0-setup.exe kasse.nsi
; Installs for all users into Program Files, adds a Start-menu entry, an
; optional desktop shortcut and an optional kiosk autostart, and registers the
; uninstaller in Settings > Apps (Add/Remove Programs). The till's data
; (%LOCALAPPDATA%\kasse; an earlier release's %AppData%\kasse is moved there on
; the first start) belongs to its user and is left alone by the uninstaller.

Unicode true
SetCompressor /SOLID lzma
!include "MUI2.nsh"
!include "x64.nsh"

!ifndef VERSION
  !error "pass -DVERSION=..."
!endif
!ifndef NUMVERSION
  !define NUMVERSION "0.0.0.0"
!endif

!define APPNAME "kasse"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\kasse"

Name "${APPNAME}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\kasse"
InstallDirRegKey HKLM "Software\kasse" "InstallDir"
RequestExecutionLevel admin
BrandingText "kasse ${VERSION}"

VIProductVersion "${NUMVERSION}"
VIAddVersionKey "ProductName" "kasse"
VIAddVersionKey "FileDescription" "kasse installer"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "CompanyName" "kasse"
VIAddVersionKey "LegalCopyright" "kasse maintainers"

!define MUI_ICON "kasse.ico"
!define MUI_UNICON "kasse.ico"
!define MUI_ABORTWARNING

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "Norwegian"
!insertmacro MUI_LANGUAGE "Danish"
!insertmacro MUI_LANGUAGE "Finnish"

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "kasse needs 64-bit Windows."
    Abort
  ${EndIf}
  SetRegView 64
FunctionEnd

Section "kasse (required)" SecMain
  SectionIn RO
  SetShellVarContext all
  SetOutPath "$INSTDIR"
  File "/oname=kasse.exe" "${EXE}"
  File "kasse.ico"
  ; A sample catalogue for the first-run assistant's import.
  File "/oname=catalog-sample.csv" "..\..\catalog-demo.csv"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateShortcut "$SMPROGRAMS\kasse.lnk" "$INSTDIR\kasse.exe" "" "$INSTDIR\kasse.ico"

  WriteRegStr HKLM "Software\kasse" "InstallDir" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayName" "kasse"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTKEY}" "Publisher" "kasse"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\kasse.ico"
  WriteRegStr HKLM "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoRepair" 1
SectionEnd

Section /o "Desktop shortcut" SecDesktop
  SetShellVarContext all
  CreateShortcut "$DESKTOP\kasse.lnk" "$INSTDIR\kasse.exe" "" "$INSTDIR\kasse.ico"
SectionEnd

; For a dedicated till: start kasse full screen when anyone logs in.
Section /o "Start full screen at login (kiosk)" SecKiosk
  SetShellVarContext all
  CreateShortcut "$SMSTARTUP\kasse (kiosk).lnk" "$INSTDIR\kasse.exe" "--kiosk" "$INSTDIR\kasse.ico"
SectionEnd

!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecMain} "The till program, a Start-menu entry and the uninstaller."
  !insertmacro MUI_DESCRIPTION_TEXT ${SecDesktop} "A shortcut on the desktop of every user."
  !insertmacro MUI_DESCRIPTION_TEXT ${SecKiosk} "Start kasse full screen whenever a user logs in (a dedicated till)."
!insertmacro MUI_FUNCTION_DESCRIPTION_END

Function un.onInit
  SetRegView 64
FunctionEnd

Section "Uninstall"
  SetShellVarContext all
  Delete "$SMPROGRAMS\kasse.lnk"
  Delete "$DESKTOP\kasse.lnk"
  Delete "$SMSTARTUP\kasse (kiosk).lnk"
  Delete "$INSTDIR\kasse.exe"
  Delete "$INSTDIR\kasse.ico"
  Delete "$INSTDIR\catalog-sample.csv"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKLM "${UNINSTKEY}"
  DeleteRegKey HKLM "Software\kasse"
SectionEnd

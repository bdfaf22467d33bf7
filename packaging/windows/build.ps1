# Windows build: the same PyInstaller spec as Linux, then the Inno Setup installer.
# Needs Python 3.11+ and Inno Setup 6 (ISCC.exe on PATH). Run from the repository root:
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
$ErrorActionPreference = "Stop"
python -m venv .venv
.venv\Scripts\python -m pip install -e ".[dev]"
.venv\Scripts\python -c "from PIL import Image; Image.open('resources/icons/faceapp.png').save('resources/icons/faceapp.ico', sizes=[(256,256),(64,64),(32,32),(16,16)])"
.venv\Scripts\python -m PyInstaller --noconfirm --workpath build\pyinstaller --distpath dist packaging\faceapp.spec
.venv\Scripts\faceapp.exe --self-test
if ($LASTEXITCODE -ne 0) { throw "self-test failed" }
$env:FACEAPP_VERSION = (.venv\Scripts\python -c "import faceapp; print(faceapp.__version__)")
ISCC.exe packaging\windows\faceapp.iss

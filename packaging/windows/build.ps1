# Windows build: the same PyInstaller spec as Linux, then the Inno Setup installer.
# Needs Python 3.11+ and Inno Setup 6 (ISCC.exe on PATH). Run from the repository root:
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
$ErrorActionPreference = "Stop"
# native commands do not stop the script on failure: every step checks its exit code
function Check($what) { if ($LASTEXITCODE -ne 0) { throw "$what failed ($LASTEXITCODE)" } }
python -m venv .venv; Check "venv"
.venv\Scripts\python -m pip install -e ".[dev]"; Check "pip install"
.venv\Scripts\python -c "from PIL import Image; Image.open('resources/icons/faceapp.png').save('resources/icons/faceapp.ico', sizes=[(256,256),(64,64),(32,32),(16,16)])"; Check "icon"
.venv\Scripts\python -m PyInstaller --noconfirm --workpath build\pyinstaller --distpath dist packaging\faceapp.spec; Check "PyInstaller"
dist\faceapp\faceapp.exe --data-dir build\selftest-data --self-test; Check "the frozen app's self-test"
$env:FACEAPP_VERSION = (.venv\Scripts\python -c "import faceapp; print(faceapp.__version__)")
ISCC.exe packaging\windows\faceapp.iss; Check "Inno Setup"

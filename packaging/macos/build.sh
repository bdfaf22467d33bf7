#!/usr/bin/env bash
# macOS build: the same PyInstaller one-folder app wrapped as faceapp.app, then a .dmg.
# Needs Python 3.11+ and Xcode command line tools (hdiutil, iconutil). Run from the repo root.
set -euo pipefail
python3 -m venv .venv && .venv/bin/pip install -e ".[dev]"
.venv/bin/python -m PyInstaller --noconfirm --workpath build/pyinstaller --distpath dist packaging/faceapp.spec
dist/faceapp/faceapp --data-dir build/selftest-data --self-test
app=dist/faceapp.app
rm -rf "$app" && mkdir -p "$app/Contents/MacOS" "$app/Contents/Resources"
cp -R dist/faceapp/ "$app/Contents/MacOS/"
cp packaging/macos/Info.plist "$app/Contents/"
mkdir -p build/faceapp.iconset && sips -z 256 256 resources/icons/faceapp.png --out build/faceapp.iconset/icon_256x256.png
iconutil -c icns build/faceapp.iconset -o "$app/Contents/Resources/faceapp.icns"
hdiutil create -volname faceapp -srcfolder "$app" -ov -format UDZO dist/faceapp.dmg

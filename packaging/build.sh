#!/usr/bin/env bash
# Builds everything that can be built on Linux: the PyInstaller one-folder app and the .deb.
#   packaging/build.sh            default flavour (no torch)
#   FACEAPP_FLAVOUR=trainer packaging/build.sh   with torch for the Trainer tab
# Output: dist/faceapp/ and dist/faceapp_<version>_amd64.deb; prints build time and sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
./dev.sh setup
PY=.venv/bin/python
VERSION=$($PY -c "import faceapp; print(faceapp.__version__)")
FLAVOUR=${FACEAPP_FLAVOUR:-default}

rm -rf build/pyinstaller dist/faceapp
FACEAPP_FLAVOUR=$FLAVOUR $PY -m PyInstaller --noconfirm --log-level WARN \
    --workpath build/pyinstaller --distpath dist packaging/faceapp.spec

# .deb: the app under /opt/faceapp, a launcher on PATH, a menu entry and its icon.
stage=build/deb/faceapp_${VERSION}_amd64
rm -rf build/deb && mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" \
    "$stage/usr/share/applications" "$stage/usr/share/icons/hicolor/256x256/apps"
cp -a dist/faceapp "$stage/opt/faceapp"
ln -s /opt/faceapp/faceapp "$stage/usr/bin/faceapp"
install -m 644 packaging/linux/faceapp.desktop "$stage/usr/share/applications/faceapp.desktop"
install -m 644 resources/icons/faceapp.png "$stage/usr/share/icons/hicolor/256x256/apps/faceapp.png"
size_kb=$(du -sk "$stage" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@SIZE@/$size_kb/" packaging/linux/control.in > "$stage/DEBIAN/control"
install -m 755 packaging/linux/postinst "$stage/DEBIAN/postinst"
deb=dist/faceapp_${VERSION}_amd64.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null

end=$(date +%s)
echo "build time: $((end - start)) s"
echo "one-folder app: $(du -sh dist/faceapp | cut -f1)   .deb: $(du -h "$deb" | cut -f1)   ($deb)"

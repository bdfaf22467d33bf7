#!/usr/bin/env bash
# Checks the built .deb: metadata, contents, then unpacks it into a temporary root and runs the
# packaged app's --self-test offscreen; for FACEAPP_FLAVOUR=trainer also a one-epoch fine-tune
# (finetune_check.sh). Exit status is non-zero if any check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(ls -t dist/faceapp_*_amd64.deb | head -1)
dpkg-deb --info "$deb" | grep -E "Package|Version|Architecture|Depends|Installed-Size"
contents=$(dpkg-deb --contents "$deb")
for path in ./opt/faceapp/faceapp ./usr/bin/faceapp ./usr/share/applications/faceapp.desktop \
            ./usr/share/icons/hicolor/256x256/apps/faceapp.png ./opt/faceapp/_internal/resources/models/MANIFEST.json \
            ./opt/faceapp/_internal/resources/models/mobilefacenet.onnx; do
    grep -q " $path" <<<"$contents" || { echo "missing from the .deb: $path" >&2; exit 1; }
done
flavour=${FACEAPP_FLAVOUR:-default}
if grep -q "_internal/torch/" <<<"$contents" && [ "$flavour" = default ]; then
    echo "torch must not be in the default build" >&2; exit 1
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
QT_QPA_PLATFORM=offscreen "$root/opt/faceapp/faceapp" --data-dir "$root/data" --self-test
if [ "$flavour" = trainer ]; then
    # the trainer flavour must train, not only start: one epoch from the frozen app
    packaging/finetune_check.sh "$root/opt/faceapp/faceapp" "$root/train-data"
fi

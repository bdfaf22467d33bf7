#!/usr/bin/env bash
# A one-epoch fine-tune from a frozen trainer-flavour app (check_deb.sh runs it on the unpacked .deb):
# enrolls 4 faces-sample people (5 photos each) into a fresh data folder with the frozen app, then
# trains one epoch with it. Exit status 0 only if training ran and wrote a model.
#   packaging/finetune_check.sh FROZEN_FACEAPP DATA_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
app=$1 data=$2
faces=../shared/data/faces-sample
[ -d "$faces" ] || { echo "finetune check: $faces is missing" >&2; exit 1; }
# who is who comes from the pair files (the same helper the tests use)
groups=$(.venv/bin/python -c "
from pathlib import Path
from faceapp.eval.verification import faces_sample_identities
people = {}
for photo, label in sorted(faces_sample_identities(Path('$faces')).items()):
    people.setdefault(label, []).append(photo)
for label, photos in sorted(people.items()):
    if len(photos) >= 5:
        print(label, *photos[:5])
" | head -4)
while read -r label photos; do
    # shellcheck disable=SC2086
    (cd "$faces" && QT_QPA_PLATFORM=offscreen "$app" --data-dir "$data" enroll "person$label" $photos) || true
done <<<"$groups"
QT_QPA_PLATFORM=offscreen "$app" --data-dir "$data" people
QT_QPA_PLATFORM=offscreen "$app" --data-dir "$data" train --epochs 1 --json | tee "$data/train.json"
.venv/bin/python -c "
import json, sys
result = json.load(open(sys.argv[1]))
sys.exit(0 if len(result['history']) == 1 and result['after'] else 'no trained epoch in the result')
" "$data/train.json"
echo "fine-tune from the frozen app: OK"

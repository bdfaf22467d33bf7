"""The CLI functions of the recognition layer, driven through their argparse wiring."""

import json

import pytest


def test_enroll_people_identify(cli, shared):
    peer = shared / "faces-peer"
    code, out = cli("enroll", "Barack", peer / "obama.jpg", peer / "obama2.jpg", peer / "two_people.jpg",
                    "--employee-no", "44", "--json")
    report = json.loads(out)
    assert code == 0 and report["saved"] and len(report["accepted"]) == 2
    rejected = report["rejected"][0]
    assert rejected["reason"] == "2 faces in the photo; enrollment needs exactly one"
    assert rejected["reasons"] == [{"code": "many_faces", "params": {"count": 2}, "text": rejected["reason"]}]
    code, out = cli("enroll", "Nobody", peer / "two_people.jpg")
    assert code == 1 and "rejected  " in out and "2 faces in the photo" in out
    assert "nothing saved: no photo passed the quality checks" in out

    code, out = cli("people", "--json")
    (person,) = json.loads(out)
    assert code == 0 and person["name"] == "Barack" and person["employee_no"] == "44" and person["samples"] > 2

    code, out = cli("identify", peer / "obama3.jpg", peer / "biden.jpg", "--json")
    rows = json.loads(out)
    assert code == 0 and rows[0]["faces"][0]["name"] == "Barack" and rows[1]["faces"][0]["name"] is None
    code, out = cli("identify", peer / "obama3.jpg")
    assert "Barack" in out

    code, out = cli("people", "--deactivate", "Barack", "--json")
    assert json.loads(out)[0]["active"] is False
    code, out = cli("people", "--remove", "Barack", "--json")
    assert json.loads(out) == []


def test_settings_checked_and_saved_together(cli):
    code, out = cli("settings", "match.margin=0.08", 'access.action={"kind": "http", "url": "HTTPS://door/open"}',
                    "camera.source=1", "--json")
    rows = {r["key"]: r for r in json.loads(out)}
    assert code == 0 and rows["match.margin"]["value"] == 0.08 and rows["camera.source"]["value"] == 1
    assert rows["access.action"]["value"] == {"kind": "http", "url": "HTTPS://door/open"} and "admin.pin_hash" not in rows
    code, out = cli("settings", "match.margin=0.1", "access.action_timeout_s=100", "--json")
    assert code == 2 and json.loads(out)["error"]["code"] == "out_of_range"
    code, out = cli("settings", "match.margin=0.1", 'access.action={"kind": "command", "argv": ""}')
    assert code == 2 and out == ""  # the reason goes to stderr
    code, out = cli("settings")
    assert code == 0 and "match.margin               0.08   (default 0.05)" in out  # neither refused batch was saved
    with pytest.raises(ValueError, match="KEY=VALUE"):
        cli("settings", "admin.pin_hash=x")


def test_run_on_a_video_writes_json_lines(cli, shared):
    code, out = cli("run", "--source", shared / "blink" / "blink.mp4", "--max-frames", "100")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [x["state"] for x in lines if x["type"] == "state"] == ["opening", "running", "stopped"]
    events = [x for x in lines if x["type"] == "event"]
    # nobody is enrolled: the face is unknown, reported once its first blink (~frame 76) proves it live
    assert [e["kind"] for e in events] == ["unknown"] and 70 <= events[0]["frame"] <= 90 and events[0]["live"]
    summary = lines[-1]
    assert summary["type"] == "summary" and summary["frames"] == 100 and summary["events"] == 1
    # throughput over the run (reading and decoding included) beside the per-frame median and p90
    assert summary["throughput_fps"] > 0 and 0 < summary["median_ms"] <= summary["p90_ms"]


def test_bench_reports_throughput_over_the_whole_clip(cli, shared):
    clip = shared / "videos" / "multispeaker_short.mp4"  # 30 frames
    code, out = cli("bench", "--source", clip, "--frames", "8", "--no-reference", "--json")
    result = json.loads(out)
    live, every_stage = result["live"], result["pipeline"]
    assert code == 0 and live["frames"] == 30 and live["size"] == "1280x720"
    for figures in (live, every_stage):
        assert figures["throughput_fps"] > 0 and 0 < figures["median_ms"] <= figures["p90_ms"]
    assert every_stage["frames"] == 3 and "decode" in every_stage["stage_median_ms"]  # 8 less 5 warm-up


def test_run_reports_a_missing_source(cli, tmp_path):
    code, out = cli("run", "--source", tmp_path / "missing.mp4")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and lines[-1]["status"] == "failed" and "no such file" in lines[-1]["message"]


def test_eval_blink_still_photo(cli, shared):
    code, out = cli("eval", "blink", shared / "blink" / "granger.jpg", "--still", "--still-frames", "20", "--json")
    result = json.loads(out)
    assert code == 0 and result["blinks"] == 0 and result["frames_with_face"] == 20


def test_eval_detection(cli, shared, tmp_path):
    """Wiring of `eval detection` on a small annotated subset: two hard masked close-ups, one photo
    of tiny faces, and a handful of unmasked photos."""
    from faceapp.eval.detection import FACES_CSV

    rows = FACES_CSV.read_text().splitlines()
    keep = ("0001/0021.jpg", "0009/0006.jpg", "0002/0042.jpg")
    faces = tmp_path / "faces.csv"
    faces.write_text("\n".join([rows[0]] + [r for r in rows[1:] if r.split(",")[0].endswith(keep)]) + "\n")
    sheet = tmp_path / "sheet.png"
    code, out = cli("eval", "detection", shared / "masked-real", shared / "faces-peer", "--limit", "4",
                    "--faces", faces, "--sheet", sheet, "--json")
    r = json.loads(out)
    assert code == 0 and sheet.is_file()
    assert r["baseline"]["masked"]["close_up"]["found"] == 0 and r["app"]["masked"]["close_up"]["found"] == 2
    assert r["app"]["masked"]["all"] == {"photos": 3, "annotated": 2, "main_face_found": 2, "rate": 1.0,
                                         "with_detection": 2}
    assert r["app"]["unmasked"]["photos"] == 4
    code, out = cli("eval", "detection", shared / "masked-real", "--faces", faces)
    assert code == 0 and "close-ups 2/2 (100.0%)" in out
    # on a clip: plain MTCNN also finds the jack-o'-lantern; the presence check drops it
    code, out = cli("eval", "detection", shared / "masked-real", "--faces", faces, "--clip",
                    shared / "videos" / "fi_protagonist.mp4", "--clip-every", "50", "--json")
    (base,), (app,) = json.loads(out)["baseline"]["clips"], json.loads(out)["app"]["clips"]
    assert code == 0 and base["frames"] == app["frames"] == 8
    assert app["frames_by_detections"].get("1", 0) >= 7 and app["detections"] < base["detections"]


def test_detect_and_compare(cli, shared, tmp_path):
    peer = shared / "faces-peer"
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    code, out = cli("detect", peer / "two_people.jpg", broken, "--json")
    rows = json.loads(out)
    assert code == 1  # one input failed: the exit status says so, the other result still comes
    assert len(rows[0]["faces"]) == 2 and len(rows[0]["faces"][0]["landmarks"]) == 5
    assert "not a readable image" in rows[1]["error"]
    code, out = cli("compare", peer / "obama.jpg", peer / "obama2.jpg", "--json")
    same = json.loads(out)
    code2, out = cli("compare", peer / "obama.jpg", peer / "biden.jpg", "--json")
    other = json.loads(out)
    assert code == code2 == 0 and same["same_person"] and not other["same_person"]
    assert same["similarity"] > other["similarity"] + 0.3


def test_export_writes_excel_csv(cli, tmp_path):
    from faceapp.attendance import Attendance
    from faceapp.storage.gallery import Gallery

    with Gallery.open() as gallery:
        person = gallery.add_person("李伟")
        Attendance(gallery).record(person.id, score=0.8, masked=False)
    out = tmp_path / "attendance.csv"
    code, text = cli("export", out)
    data = out.read_bytes()
    assert code == 0 and "1 attendance record" in text
    assert data.startswith(b"\xef\xbb\xbf") and "李伟" in data.decode("utf-8-sig")

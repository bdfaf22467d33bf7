"""Regenerate docs/screenshots: the real app on a demo data folder, a video standing in for the camera.

    xvfb-run -a -s "-screen 0 1280x800x24" python packaging/screenshots.py [--out docs/screenshots]

Needs the models (resources/models), ../shared/data (demo faces and the video), and for the Chinese
screenshots a CJK font (Debian fonts-noto-cjk). Each image is kept under 200 KB: PNG when it fits,
else JPEG.

The pictures of people come from ../shared/data, whose terms allow tests and evaluation but not
copies in the project: the committed screenshots show them pixelated (every picture the app draws,
video and face crops alike, goes through a coarse mosaic); --no-pixelate keeps them for a local look.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MAX_BYTES = 200_000
# Mosaic cells: ~7 across a face in the video frames and in the 112 px face crops.
FRAME_CELL = 32
CROP_CELL = 16
SHARED = ROOT.parent / "shared" / "data"
VIDEO = SHARED / "videos" / "fi_protagonist.mp4"
# Demo people: photos of one person each from faces-sample (deepface's labelled pairs), with made-up
# names; the video's speaker is enrolled from its frames as "Maya Brooks".
PEOPLE = [
    ("Lina Vogt", "E1001", "Design", ["img1.jpg", "img2.jpg", "img4.jpg", "img5.jpg"]),
    ("Chen Wei", "E1002", "R&D", ["img13.jpg", "img14.jpg", "img15.jpg"]),
    ("Marco Rossi", "E1003", "Sales", ["img18.jpg", "img19.jpg"]),
    ("Sara Lind", "E1004", "Finance", ["img20.jpg", "img21.jpg"]),
]
SPEAKER = ("Maya Brooks", "E1005", "Support")
# The Trainer tab trains for real: on LFW people with enough photos (the demo people above have too
# few), checked on faces-sample's labelled pairs as the people not enrolled.
TRAIN_PEOPLE, TRAIN_PHOTOS, TRAIN_EPOCHS, TRAIN_BATCH = 8, 8, 8, 16  # photos offered per person


def pixelate_pictures() -> None:
    """Route every numpy picture the UI converts through a mosaic (see the module's docstring)."""
    import cv2

    from faceapp.ui import qimage
    from faceapp.ui.workers import live as live_worker

    convert = qimage.bgr_to_qimage

    def mosaic(frame):
        h, w = frame.shape[:2]
        cell = CROP_CELL if max(h, w) <= 160 else FRAME_CELL
        small = cv2.resize(frame, (max(1, w // cell), max(1, h // cell)), interpolation=cv2.INTER_AREA)
        return convert(cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST))

    qimage.bgr_to_qimage = mosaic  # bgr_to_pixmap (thumbnails) calls it through the module
    live_worker.bgr_to_qimage = mosaic  # the camera frames


def wait_until(app, condition, timeout_s: float, what: str) -> None:
    end = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError(f"timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.02)


def settle(app, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def save(widget, out: Path, name: str) -> Path:
    """Grab a widget to name.png, or name.jpg when the PNG would pass MAX_BYTES."""
    image = widget.grab().toImage()
    png = out / f"{name}.png"
    image.save(str(png))
    if png.stat().st_size <= MAX_BYTES:
        (out / f"{name}.jpg").unlink(missing_ok=True)
        return png
    png.unlink()
    jpg = out / f"{name}.jpg"
    for quality in (85, 75, 65, 55):
        image.save(str(jpg), "JPEG", quality)
        if jpg.stat().st_size <= MAX_BYTES:
            break
    return jpg


def shown_window(context):
    """The main window on context, shown at the size of the screenshots (the xvfb screen's)."""
    from faceapp.ui.main_window import MainWindow

    window = MainWindow(context)
    window.resize(1280, 800)
    window.show()
    return window


def seed(context) -> None:
    """Enroll the demo people and give them two weeks of attendance."""
    import cv2

    enroller = context.enroller()
    for name, number, department, files in PEOPLE:
        enroller.enroll(name, [str(SHARED / "faces-sample" / f) for f in files], employee_no=number, department=department)
    video = cv2.VideoCapture(str(VIDEO))
    frames = []
    for index in range(0, 200):
        ok, frame = video.read()
        if ok and index % 40 == 10:
            frames.append((f"camera shot {len(frames) + 1}", frame))
    name, number, department = SPEAKER
    enroller.enroll(name, frames, employee_no=number, department=department, allow_largest=True)
    today = datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    for person_index, person in enumerate(context.gallery.list_people()):
        for day in range(1, 15):
            date = today - timedelta(days=day)
            if date.weekday() >= 5 or (day + person_index) % 6 == 0:
                continue  # weekends and the odd day off
            arrive = date + timedelta(hours=8, minutes=(17 * person_index + 7 * day) % 50)
            leave = date + timedelta(hours=17, minutes=(11 * person_index + 13 * day) % 55)
            context.attendance.record(person.id, arrive, score=0.78, masked=False)
            context.attendance.record(person.id, leave, score=0.74, masked=day % 4 == 0)


def trainer_shot(app, out: Path) -> Path:
    """The Trainer tab after a short real fine-tune, in a data folder of its own (needs torch)."""
    from faceapp.ui.context import AppContext
    from faceapp.ui.main_window import TRAINER

    context = AppContext(Path(tempfile.mkdtemp(prefix="faceapp-train-")))
    enroller = context.enroller()
    folders = sorted(d for d in (SHARED / "lfw" / "images").iterdir() if len(list(d.glob("*.jpg"))) >= TRAIN_PHOTOS)
    for folder in folders[:TRAIN_PEOPLE]:
        enroller.enroll(folder.name.replace("_", " "), sorted(folder.glob("*.jpg"))[:TRAIN_PHOTOS])
    window = shown_window(context)
    window.tabs.setCurrentIndex(TRAINER)
    page = window.trainer
    page.epochs.setValue(TRAIN_EPOCHS)
    page.batch.setValue(TRAIN_BATCH)
    page.unseen.setText(str(SHARED / "faces-sample"))
    page.start()
    wait_until(app, lambda: not page.running, 900, "the fine-tune")
    settle(app)
    shot = save(window, out, "trainer")
    window.close()
    context.close()
    return shot


def cameras_shot(app, out: Path) -> Path:
    """The live view with two cameras of one door, In and Out, side by side (two clips standing in)."""
    from faceapp import settings
    from faceapp.ui.context import AppContext
    from faceapp.ui.workers import live as lw

    context = AppContext(Path(tempfile.mkdtemp(prefix="faceapp-shots-")))
    seed(context)
    settings.save(context.gallery, {"camera.list": [
        {"source": str(VIDEO), "door": "Front door", "direction": "in"},
        {"source": str(SHARED / "videos" / "multispeaker_short.mp4"), "door": "Front door", "direction": "out"}]})
    window = shown_window(context)
    live = window.live
    live.start(context.default_source())
    wait_until(app, lambda: all(t.view.result is not None and t.view.result.tracks for t in live.wall.tiles), 120,
               "faces on both cameras")
    # the speaker recognised on the In camera, while the short Out clip still plays (it ends after 1 s
    # of video: on a busy machine later than that)
    tiles, deadline = live.wall.tiles, time.monotonic() + 20
    while time.monotonic() < deadline and live.tile_states[1][0] == lw.RUNNING and not any(
            t.match is not None and t.match.known for t in tiles[0].view.result.tracks):
        settle(app, 0.1)
    shot = save(window, out, "live_cameras")
    window.close()
    context.close()
    return shot


def settings_shots(app, out: Path) -> list[Path]:
    """The Settings tab in English and in Chinese (a fresh data folder: it shows the defaults)."""
    from faceapp.ui.context import AppContext
    from faceapp.ui.main_window import SETTINGS

    context = AppContext(Path(tempfile.mkdtemp(prefix="faceapp-shots-")))
    window = shown_window(context)
    window.tabs.setCurrentIndex(SETTINGS)
    settle(app)
    shots = [save(window, out, "settings")]
    context.set_language("zh_CN")
    settle(app)
    shots.append(save(window, out, "settings_zh"))
    window.close()
    context.close()
    return shots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--no-pixelate", action="store_true", help="show the people (for a local look only)")
    parser.add_argument("--only-trainer", action="store_true", help="only the Trainer tab (a real fine-tune: minutes)")
    parser.add_argument("--only-cameras", action="store_true", help="only the live view with two cameras")
    parser.add_argument("--only-settings", action="store_true", help="only the Settings tab, in both languages")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    from faceapp.ui.app import application

    app = application()
    if args.only_trainer:
        shot = trainer_shot(app, args.out)
        print(f"{shot}  {shot.stat().st_size // 1000} KB")
        return 0
    if not args.no_pixelate:
        pixelate_pictures()
    if args.only_cameras or args.only_settings:
        shots = [cameras_shot(app, args.out)] if args.only_cameras else []
        shots += settings_shots(app, args.out) if args.only_settings else []
        for shot in shots:
            print(f"{shot}  {shot.stat().st_size // 1000} KB")
        return 0
    from faceapp.ui.workers import live as lw
    from faceapp.ui.context import AppContext
    from faceapp.ui.main_window import ATTENDANCE, LIVE, PEOPLE as PEOPLE_TAB, SETTINGS

    data = Path(tempfile.mkdtemp(prefix="faceapp-shots-"))
    context = AppContext(data)
    seed(context)
    window = shown_window(context)
    live = window.live
    shots = []

    # the live view: first the blink prompt, then the decision banner
    live.start(str(VIDEO))
    wait_until(app, lambda: live.video.result is not None and live.video.result.tracks, 90, "a tracked face")
    wait_until(app, lambda: any(t.liveness_pending and t.match is not None and t.match.known
                                for t in live.video.result.tracks) or live.banner.granted is not None, 60, "the blink prompt")
    if live.banner.granted is None:
        shots.append(save(window, args.out, "live_blink"))
    wait_until(app, lambda: live.banner.granted is not None, 90, "a door decision")
    settle(app, 0.5)
    shots.append(save(window, args.out, "live"))

    window.tabs.setCurrentIndex(PEOPLE_TAB)
    window.people.select(context.gallery.find_person("Lina Vogt").id)
    settle(app)
    shots.append(save(window, args.out, "people"))

    window.tabs.setCurrentIndex(ATTENDANCE)
    window.attendance.views.setCurrentWidget(window.attendance.summary)  # the Today board: screenshots_hr.py
    window.attendance.refresh()
    settle(app)
    shots.append(save(window, args.out, "attendance"))
    window.attendance.views.setCurrentWidget(window.attendance.records)
    settle(app)
    shots.append(save(window, args.out, "attendance_records"))
    window.attendance.views.setCurrentIndex(0)

    # the enroll dialog: photos with a rejected one, then the guided camera capture
    window.tabs.setCurrentIndex(PEOPLE_TAB)
    dialog = window.people.enroll()
    dialog.form.name.setText("Anna Berger")
    dialog.form.employee_no.setText("E1006")
    dialog.form.department.setText("Logistics")
    dialog.sources.setCurrentIndex(1)
    dialog.add_files([str(SHARED / "faces-sample" / f) for f in ("img22.jpg", "img23.jpg", "couple.jpg")]
                     + [str(SHARED / "faces-peer" / "obama-240p.jpg")])  # two good, two refused
    settle(app)
    shots.append(save(dialog, args.out, "enroll_photos"))
    dialog.reject()

    live.start(str(VIDEO))
    wait_until(app, lambda: live.state == lw.RUNNING, 30, "the video")
    dialog = window.people.enroll()
    dialog.form.name.setText("Maya Brooks 2")
    dialog.toggle_capture()
    # the video cannot follow the prompts (and ends on a transition): do not wait for them
    dialog.capture.config = replace(dialog.capture.config, step_timeout_s=0.5)
    wait_until(app, lambda: dialog.accepted.count() >= 2, 90, "two camera shots")
    settle(app, 0.3)
    shots.append(save(dialog, args.out, "enroll_camera"))
    dialog.reject()

    # the admin lock
    context.set_pin("2580")
    context.lock()
    window.tabs.setCurrentIndex(SETTINGS)
    settle(app)
    shots.append(save(window, args.out, "locked"))
    context.unlock("2580")

    # Chinese, switched at run time
    context.set_language("zh_CN")
    window.tabs.setCurrentIndex(LIVE)
    live.start(str(VIDEO))
    wait_until(app, lambda: live.state == lw.RUNNING and live.banner.granted is not None, 120, "a door decision")
    settle(app, 0.5)
    shots.append(save(window, args.out, "live_zh"))

    window.close()
    context.close()
    shots += settings_shots(app, args.out)
    shots.append(cameras_shot(app, args.out))
    shots.append(trainer_shot(app, args.out))
    for path in shots:
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {path.stat().st_size // 1000} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

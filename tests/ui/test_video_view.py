"""The live picture's overlays: a suspected photo or screen is shown apart from "please blink"."""

import numpy as np
from PySide6.QtGui import QColor, QImage

from faceapp.types import Match, TrackView
from faceapp.ui.widgets.video_view import AMBER, RED, VideoView, track_colour, track_states


def view(liveness_pending=False, **state) -> TrackView:
    return TrackView(track_id=1, box=np.array([120, 60, 200, 170], np.float32), landmarks=np.zeros((5, 2), np.float32),
                     match=Match(person_id=1, name="Ann", score=0.8, margin=0.3, threshold=0.45, masked=False),
                     live=False, liveness_pending=liveness_pending, masked=False, eyes=None, **state)


def prompt_colour_pixels(qtbot, track: TrackView) -> dict[str, int]:
    """Pixels of the picture painted in the prompt's red and amber."""
    from faceapp.types import FrameResult

    widget = VideoView()
    qtbot.addWidget(widget)
    widget.resize(640, 480)
    image = QImage(320, 240, QImage.Format.Format_RGB888)
    image.fill(QColor("#404040"))
    widget.show_frame(image, FrameResult(index=0, timestamp=0.0, tracks=[track], events=[]))
    grabbed = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    h, w = grabbed.height(), grabbed.width()
    pixels = np.frombuffer(grabbed.constBits(), np.uint8).reshape(h, grabbed.bytesPerLine())[:, : w * 3].reshape(h, w, 3)
    bottom = pixels[int(h * 0.75):].astype(int)  # the prompt sits at the bottom of the picture

    def near(c: QColor) -> int:
        return int((np.abs(bottom - [c.red(), c.green(), c.blue()]).sum(axis=2) < 40).sum())

    return {"red": near(RED), "amber": near(AMBER)}


def test_suspected_photo_is_red_and_says_so(qtbot):
    suspected = view(spoof_suspected=True, passive_score=0.1)
    assert track_colour(suspected) == RED and "photo or screen?" in track_states(suspected)
    pixels = prompt_colour_pixels(qtbot, suspected)
    assert pixels["red"] > 500 and pixels["amber"] < 50


def test_waiting_for_a_blink_is_amber(qtbot):
    waiting = view(liveness_pending=True)
    assert track_colour(waiting) == AMBER and "blink pending" in track_states(waiting)
    pixels = prompt_colour_pixels(qtbot, waiting)
    assert pixels["amber"] > 500 and pixels["red"] < 50


def test_labels_stay_inside_the_view_and_clear_of_each_other():
    from PySide6.QtCore import QRectF

    from faceapp.ui.widgets.video_view import place_label

    bounds = QRectF(0, 0, 400, 300)
    # a face at the right edge: its label is pulled in, not cut off
    edge = place_label(QRectF(380, 100, 20, 20), 120, 30, bounds, [])
    assert bounds.contains(edge) and edge.top() < 100
    # three faces side by side, each label wider than the gap between them: none hides another
    taken: list[QRectF] = []
    for x in (100, 140, 180):
        taken.append(place_label(QRectF(x, 120, 30, 30), 150, 30, bounds, taken))
    assert all(not a.intersects(b) for i, a in enumerate(taken) for b in taken[i + 1:])
    assert all(bounds.contains(r) for r in taken)
    # a face at the top: the label goes below its box
    assert place_label(QRectF(50, 5, 40, 40), 100, 30, bounds, []).top() >= 45

"""Several cameras in the live view: added in Settings, shown side by side with their door and
direction, one enlarged by a click or by F6, in both languages."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from faceapp.ui.main_window import LIVE, SETTINGS
from faceapp.ui.widgets.camera_wall import STRIP_HEIGHT
from faceapp.ui.workers import live as lw


def test_cameras_added_in_settings_show_side_by_side(model_window, model_context, shared, qtbot):
    window, live = model_window, model_window.live
    assert len(live.wall.tiles) == 1 and not live.wall.tiles[0].caption.isVisible()  # one camera: no caption

    window.tabs.setCurrentIndex(SETTINGS)
    page = window.settings
    editor = page.camera_list
    for clip, door, direction in (("fi_protagonist.mp4", "Front", 0), ("multispeaker_short.mp4", "Front", 1),
                                  ("empty", "Back", 2)):
        qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
        row = editor.table.rowCount() - 1
        editor.table.item(row, 0).setText(str(shared / "videos" / clip))
        editor.table.item(row, 1).setText(door)
        editor.table.cellWidget(row, 2).setCurrentIndex(direction)
    editor.table.selectRow(2)
    qtbot.mouseClick(editor.remove_button, Qt.MouseButton.LeftButton)
    page.save()
    assert [c["direction"] for c in model_context.gallery.setting("camera.list")] == ["in", "out"]

    window.tabs.setCurrentIndex(LIVE)
    assert len(live.wall.tiles) == 2 and len(live.workers) == 2
    for worker in live.workers:
        worker.session.realtime = False  # play the clips as fast as they are processed
    live.start(model_context.default_source())
    tiles = live.wall.tiles
    qtbot.waitUntil(lambda: all(t.view.image is not None for t in tiles), timeout=120000)
    qtbot.waitUntil(lambda: all(s in (lw.RUNNING, lw.ENDED) for s, _ in live.tile_states), timeout=120000)
    assert tiles[0].caption.text().startswith("Front · Entry") and tiles[1].caption.text().startswith("Front · Exit")
    assert all(t.caption.isVisible() for t in tiles)

    # side by side, then one large: a click on a picture, F6 to step through, a click to go back
    assert tiles[0].y() == tiles[1].y() and live.wall.focus is None
    qtbot.mouseClick(tiles[1].view, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tiles[0].height() <= STRIP_HEIGHT)
    assert live.wall.focus == 1 and tiles[1].height() > 2 * tiles[0].height()
    qtbot.mouseClick(tiles[1].view, Qt.MouseButton.LeftButton)
    assert live.wall.focus is None
    steps = []
    for _ in range(3):
        qtbot.keyClick(window, Qt.Key.Key_F6)
        steps.append(live.wall.focus)
    assert steps == [0, 1, None]

    model_context.set_language("zh_CN")
    assert tiles[0].caption.text().startswith("Front · 入口") and tiles[1].caption.text().startswith("Front · 出口")

    # the same camera twice is refused, and says why
    editor.set_cameras([{"source": 0, "door": "", "direction": "in"}] * 2)
    page.save()
    box = page.findChild(QMessageBox, "errorDialog")
    assert box.text() == "摄像头 0 在列表中出现了两次。" and len(live.wall.tiles) == 2  # in the chosen language
    box.close()

    live.stop()
    editor.set_cameras([])
    page.save()  # back to one camera
    assert len(live.wall.tiles) == 1 and len(live.workers) == 1

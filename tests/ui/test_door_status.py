"""The status bar of a door on a shared server says whether it is online and what waits to be sent."""

from conftest import open_context, show_window

from faceapp.storage import Gallery


def test_door_status_in_the_status_bar(tmp_path, qtbot, pg_database):
    (tmp_path / "data").mkdir()
    with Gallery(tmp_path / "data" / "faceapp.db") as own:  # this PC's data folder names the server
        own.set_setting("storage.database", pg_database)
        own.set_setting("door.name", "Front")
    contexts = open_context(tmp_path)
    context = next(contexts)
    try:
        assert context.gallery.dialect == "postgresql" and context.gallery.door == "Front"
        window = show_window(context, qtbot)
        assert window.door_label.isVisible() and window.door_label.text() == "Online, 0 events waiting"
        context.set_language("zh_CN")
        assert window.door_label.text() == "在线，0 条事件待发送"
    finally:
        next(contexts, None)


def test_no_door_status_for_a_gallery_of_its_own(window):
    assert not window.door_label.isVisible()

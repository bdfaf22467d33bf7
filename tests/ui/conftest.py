import pytest

pytest.importorskip("PySide6")
pytest.importorskip("faceapp.gallery")


@pytest.fixture
def context(tmp_path, qtbot):
    from faceapp.ui import i18n
    from faceapp.ui.context import AppContext

    ctx = AppContext(tmp_path / "data")
    yield ctx
    ctx.close()
    i18n.set_language(i18n.DEFAULT)


@pytest.fixture
def window(context, qtbot):
    from faceapp.ui.main_window import MainWindow

    win = MainWindow(context)
    qtbot.addWidget(win)  # closed at teardown, which stops the live worker
    win.show()
    qtbot.waitExposed(win)
    return win

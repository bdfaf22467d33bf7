import pytest

pytest.importorskip("PySide6")
pytest.importorskip("faceapp.storage.gallery")


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


@pytest.fixture(scope="session")
def engine():
    """One Engine for every test that needs the models; skipped where they are not built."""
    pytest.importorskip("faceapp.recognition.enroll")
    pytest.importorskip("faceapp.live.pipeline")
    from faceapp.vision.engine import Engine

    try:
        return Engine(with_mask=False)  # the mask check plays no part in these tests
    except FileNotFoundError as exc:
        pytest.skip(f"models not built: {exc}")


@pytest.fixture
def model_context(tmp_path, qtbot, engine):
    from faceapp.ui import i18n
    from faceapp.ui.context import AppContext

    ctx = AppContext(tmp_path / "data", engine=engine)
    yield ctx
    ctx.close()
    i18n.set_language(i18n.DEFAULT)


@pytest.fixture
def model_window(model_context, qtbot):
    from faceapp.ui.main_window import MainWindow

    win = MainWindow(model_context)
    qtbot.addWidget(win)
    win.live.worker.session.realtime = False  # play test videos as fast as they are processed
    win.show()
    qtbot.waitExposed(win)
    return win

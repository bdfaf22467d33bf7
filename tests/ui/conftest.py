import pytest

pytest.importorskip("PySide6")


def open_context(tmp_path, **kwargs):
    """An AppContext on a fresh data folder; closed, and the language reset, at teardown."""
    from faceapp.ui import i18n
    from faceapp.ui.context import AppContext

    ctx = AppContext(tmp_path / "data", **kwargs)
    yield ctx
    ctx.close()
    i18n.set_language(i18n.DEFAULT)


def show_window(context, qtbot, realtime=True):
    from faceapp.ui.main_window import MainWindow

    win = MainWindow(context)
    qtbot.addWidget(win)  # closed at teardown, which stops the live worker
    if not realtime:
        win.live.worker.session.realtime = False  # play test videos as fast as they are processed
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def context(tmp_path, qtbot):
    yield from open_context(tmp_path)


@pytest.fixture
def window(context, qtbot):
    return show_window(context, qtbot)


@pytest.fixture(scope="session")
def engine():
    """One Engine for every test that needs the models; skipped where they are not built."""
    from faceapp.vision.engine import Engine

    try:
        return Engine(with_mask=False)  # the mask check plays no part in these tests
    except FileNotFoundError as exc:
        pytest.skip(f"models not built: {exc}")


@pytest.fixture
def model_context(tmp_path, qtbot, engine):
    yield from open_context(tmp_path, engine=engine)


@pytest.fixture
def model_window(model_context, qtbot):
    return show_window(model_context, qtbot, realtime=False)

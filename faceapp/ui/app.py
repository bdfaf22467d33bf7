"""Starting the Qt application: context, main window, the live source, and clean shutdown."""

from __future__ import annotations

import logging
import os
import sys

log = logging.getLogger(__name__)


def app_icon():
    from PySide6.QtGui import QIcon

    from faceapp.resources import resources_dir

    return QIcon(str(resources_dir() / "icons" / "faceapp.png"))  # PNG: no SVG plugin needed in a frozen build


def application():
    """The QApplication (created once), named and with the app icon."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("faceapp")
    app.setOrganizationName("faceapp")
    app.setWindowIcon(app_icon())
    return app


def run_gui(args) -> int:
    """`faceapp` / `faceapp gui`: args may carry data_dir, source (camera index, file, URL) and fullscreen."""
    from PySide6.QtWidgets import QMessageBox

    from faceapp.paths import data_dir
    from faceapp.ui.errors import install_excepthook
    from faceapp.ui.workers.tasks import wait_for_background

    # OpenCV's own warnings (a missing camera, retried every few seconds) would flood the terminal;
    # the live view shows the state and the log file keeps the details.
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    app = application()
    try:
        from faceapp.ui.context import AppContext

        context = AppContext(data_dir(getattr(args, "data_dir", None)))
    except Exception as exc:  # no usable data folder or database: nothing else can work
        logging.getLogger(__name__).exception("start-up failed")
        QMessageBox.critical(None, "faceapp", f"faceapp cannot start:\n{exc}")
        return 1
    install_excepthook()
    log.info("faceapp starting; data folder %s", context.data_dir)

    from faceapp.ui.main_window import MainWindow

    window = MainWindow(context)
    if os.environ.get("FACEAPP_STARTUP_PROBE"):
        from faceapp.ui.startup_bench import install_probe

        install_probe(window)
    window.show()
    source = getattr(args, "source", None)
    window.live.start(source if source is not None else context.default_source())
    if getattr(args, "fullscreen", False):
        window.toggle_kiosk()
    code = app.exec()
    wait_for_background()
    context.close()
    log.info("faceapp stopped")
    return code

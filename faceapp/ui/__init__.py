"""The PySide6 front end: it displays the core's results and forwards the user's actions."""

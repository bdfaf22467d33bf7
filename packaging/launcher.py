"""Entry point of the frozen app (PyInstaller needs a script, not a console_scripts entry)."""

import sys

from faceapp.cli.main import main

sys.exit(main())

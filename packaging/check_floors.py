"""Check that the dependency floors in pyproject.toml are real: install exactly the lowest allowed
version of every runtime dependency into a fresh virtual environment and run the core tests there.

    python packaging/check_floors.py [--keep VENV] [-- PYTEST ARGS]

Prints the versions installed and the test result; exit status 0 only if the tests pass.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Qt-free core tests on real models and SQLite files: what a floor version could break.
TESTS = ["tests/test_gallery.py", "tests/test_attendance.py", "tests/test_imageio.py", "tests/test_safe_export.py",
         "tests/test_names.py", "tests/test_adminpin.py", "tests/test_detector.py", "tests/test_embedder.py",
         "tests/test_search.py", "tests/test_enroll.py", "tests/test_commands.py"]


def floors(pyproject: Path) -> list[str]:
    """'name==lowest' for every runtime dependency (pins stay pins)."""
    out = []
    for spec in tomllib.loads(pyproject.read_text())["project"]["dependencies"]:
        name = re.match(r"[A-Za-z0-9_.\-\[\]]+", spec).group(0)
        pin = re.search(r"==\s*([^,;\s]+)", spec)
        low = re.search(r">=\s*([^,;\s]+)", spec)
        if not (pin or low):
            raise SystemExit(f"{spec!r} has no floor")
        out.append(f"{name}=={(pin or low).group(1)}")
    return out


def main(argv: list[str]) -> int:
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    keep = argv[argv.index("--keep") + 1] if "--keep" in argv else None
    venv = Path(keep or tempfile.mkdtemp(prefix="faceapp-floors-")) / "venv"
    py = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    wanted = floors(ROOT / "pyproject.toml")
    print("installing:", " ".join(wanted), flush=True)
    subprocess.run([py, "-m", "pip", "install", "-q", *wanted, "pytest>=8", "pytest-timeout", "Pillow"], check=True)
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-deps", "-e", str(ROOT)], check=True)
    subprocess.run([py, "-m", "pip", "check"], check=True)
    got = subprocess.run([py, "-m", "pip", "freeze"], capture_output=True, text=True, check=True).stdout
    print("installed:", " ".join(line for line in got.split() if not line.startswith("-e")), flush=True)
    result = subprocess.run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS, *extra], cwd=ROOT,
                            env={"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "OMP_WAIT_POLICY": "PASSIVE",
                                 "QT_QPA_PLATFORM": "offscreen", "HOME": str(Path.home())})
    print("floors", "OK" if result.returncode == 0 else "FAILED", flush=True)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

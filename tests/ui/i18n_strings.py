"""The UI's translatable strings, read from the source: literal arguments of tr() and N_()."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "faceapp"
# The UI, and the Qt-free modules whose N_-marked texts the UI shows: reason templates, setting names.
SOURCES = (PACKAGE / "ui", PACKAGE / "reasons.py", PACKAGE / "settings.py")


def source_strings(sources: tuple[Path, ...] = SOURCES) -> dict[str, str]:
    """{string: "file:line"} for every tr("...") / N_("...") with a literal argument."""
    found: dict[str, str] = {}
    for path in sorted(p for source in sources for p in (source.rglob("*.py") if source.is_dir() else [source])):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("tr", "N_")
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.setdefault(node.args[0].value, f"{path.name}:{node.lineno}")
    return found


if __name__ == "__main__":  # prints the strings as a JSON skeleton, for adding a language
    import json

    print(json.dumps({s: "" for s in source_strings()}, ensure_ascii=False, indent=1))

"""The release workflow cannot run here (it needs GitHub's Windows and macOS runners), so it is
linted: GitHub's published workflow schema (vendored by check-jsonschema, no network), and the
things the workflow must do: build on each platform, install, run the installed --self-test."""

import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"


def test_matches_githubs_workflow_schema():
    out = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                          str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_each_platform_builds_installs_and_self_tests():
    jobs = YAML(typ="safe").load(WORKFLOW.read_text())["jobs"]
    assert jobs["windows"]["runs-on"].startswith("windows-") and jobs["macos"]["runs-on"].startswith("macos-")
    for name, script, installed in (("windows", r"packaging\windows\build.ps1", "faceapp.exe"),
                                    ("macos", "packaging/macos/build.sh", "faceapp.app/Contents/MacOS/faceapp")):
        runs = [step.get("run", "") for step in jobs[name]["steps"]]
        build = next(i for i, r in enumerate(runs) if script in r)
        assert (ROOT / script.replace("\\", "/")).is_file()
        test = next(i for i, r in enumerate(runs) if "--self-test" in r and installed in r)
        assert test > build, f"{name}: the installed app is tested after the build"
        uploads = [s for s in jobs[name]["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact")]
        assert uploads and uploads[0]["with"]["if-no-files-found"] == "error"


def test_build_scripts_parse():
    for script in ("packaging/macos/build.sh", "packaging/build.sh", "packaging/check_deb.sh", "packaging/finetune_check.sh"):
        out = subprocess.run(["bash", "-n", str(ROOT / script)], capture_output=True, text=True)
        assert out.returncode == 0, (script, out.stderr)


def _spec(flavour, monkeypatch):
    """The Analysis arguments packaging/faceapp.spec gives for a flavour (the spec run with
    recorders in place of PyInstaller's build steps)."""
    import types

    captured = {}

    def analysis(*args, **kwargs):
        captured.update(kwargs)
        return types.SimpleNamespace(pure=[], scripts=[], binaries=[], datas=[])

    monkeypatch.setenv("FACEAPP_FLAVOUR", flavour)
    spec = ROOT / "packaging" / "faceapp.spec"
    exec(compile(spec.read_text(), str(spec), "exec"), {"SPECPATH": str(spec.parent), "Analysis": analysis,
                                                         "PYZ": lambda *a, **k: None, "EXE": lambda *a, **k: None,
                                                         "COLLECT": lambda *a, **k: None})
    return captured


def test_trainer_flavour_keeps_what_fine_tuning_imports(monkeypatch):
    """The trainer build once excluded tflite and onnx, which fine-tuning imports at load time."""
    out = subprocess.run([sys.executable, "-c", "import sys, trainer.finetune.loop, trainer.mobilefacenet, torch.onnx; "
                          "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    imported = set(out.stdout.split())
    assert {"tflite", "torch"} <= imported
    trainer = _spec("trainer", monkeypatch)
    assert not imported & set(trainer["excludes"]), imported & set(trainer["excludes"])
    assert {"trainer.finetune.loop", "tflite"} <= set(trainer["hiddenimports"])
    default = _spec("default", monkeypatch)
    assert {"torch", "tflite", "onnx"} <= set(default["excludes"])

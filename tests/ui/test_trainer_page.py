"""The Trainer tab: refusal on an empty gallery, the install hint without torch, a tiny fine-tune from
the Start button to activation and roll-back, and the language switch."""

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from faceapp.config import FINETUNE
from faceapp.vision.embedder import Embedder
from faceapp.storage.gallery import Sample
from faceapp.recognition.model_versions import BASE_MODEL_FILE
from faceapp.ui.pages import trainer as trainer_page
from faceapp.ui.main_window import TRAINER
from faceapp.ui.pages.trainer import TrainerPage

LONG = 120_000  # ms: a loaded 2-core machine trains the tiny run in ~20 s


@pytest.fixture
def page(context, qtbot):
    page = TrainerPage(context)
    qtbot.addWidget(page)
    page.resize(1180, 720)
    page.show()
    yield page
    page.shutdown()


def test_empty_gallery_says_too_few_people_in_both_languages(window, context, qtbot):
    window.tabs.setCurrentIndex(TRAINER)
    page = window.trainer
    assert page.start_button.isVisible() and not page.cancel_button.isEnabled()
    assert page.epochs.value() == FINETUNE.epochs and page.layers.currentData() == "last_blocks" and page.mask_share.value() == 40
    assert page.versions.rowCount() == 1 and page.versions.item(0, 2).text() == "● In use"
    assert not page.rollback_button.isEnabled() and not page.activate_button.isEnabled()

    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)  # refused at once, before torch loads
    assert not page.running
    assert "at least 2 enrolled people" in page.status.text() and "Enroll more people first" in page.status.text()
    assert page.start_button.isEnabled()

    context.set_language("zh_CN")
    assert page.start_button.text() == "开始训练"
    assert "请先登记更多人员" in page.status.text()
    assert page.metrics.verticalHeaderItem(1).text() == "留出照片（戴口罩）"
    assert page.versions.item(0, 0).text() == "自带模型"
    context.set_language("en")
    assert page.start_button.text() == "Start training"


def test_without_torch_it_explains_the_trainer_extra(context, qtbot, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # find_spec then reports torch missing
    page = TrainerPage(context)
    qtbot.addWidget(page)
    assert not page.available
    assert page.missing.isVisibleTo(page) and not page.start_button.isVisibleTo(page)
    assert "pip install 'faceapp[trainer]'" in page.missing.text()
    assert page.versions_box.isVisibleTo(page)  # switching models needs no torch
    page.start()  # nothing to start
    assert not page.running


def test_tiny_finetune_activate_and_roll_back(page, context, qtbot, trainer_faces, strangers_dir, monkeypatch):
    faces, _ = trainer_faces  # 4 people x 5 aligned photos: 16 train, 4 held out
    for k, name in enumerate(faces.names):
        context.gallery.add_person(name, samples=[Sample(c) for c in faces.crops[faces.labels == k]])
    page.batch.setValue(8)

    # Cancel stops a run after its current step, and nothing is registered
    page.epochs.setValue(3)
    page.start()
    qtbot.waitUntil(lambda: bool(page.plot.points), timeout=LONG)
    page.cancel_button.click()
    qtbot.waitUntil(lambda: not page.running, timeout=LONG)
    assert page.result.cancelled and page.status.text() == "Training was cancelled. Nothing was changed."
    assert len(page.plot.points) < 6 and context.gallery.model_versions() == []

    page.epochs.setValue(1)
    page.unseen.setText(str(strangers_dir))  # plain photos, no pair lists
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.running, timeout=LONG)
    result = page.result
    assert result is not None and not result.cancelled and result.version_id is not None, page.status.text()
    assert page.progress.maximum() == page.progress.value() == 2  # 16 photos in batches of 8
    assert page.progress.format() == "Finished after 1 of 1 epochs"
    assert [(epoch, step) for epoch, step, _, _ in page.plot.points] == [(1, 1), (1, 2)]
    assert page.summary.text().startswith("4 people, 16 training and 4 held-out photos. Epochs run: 1 (best: 1)")
    for row in (0, 1):  # held-out unmasked and masked: before -> after
        assert all("→" in page.metrics.item(row, c).text() for c in range(3))
    assert page.metrics.item(2, 0).text() == "–"  # no pair lists: no verification of people not enrolled
    b, a = result.before.door, result.after.door
    assert page.door.text().startswith(f"Strangers the door would name: {b.strangers_named} → {a.strangers_named} "
                                       "of 6 photos; masked:")
    assert page.verdict.text().startswith("Recommended" if result.recommended else "Not recommended")

    # the new version is listed and selected; activating it re-embeds the gallery, and the engine
    # (a stand-in: only its embedder matters) switches to it
    context._engine = SimpleNamespace(embedder=Embedder())
    assert page.selected_version_id() == result.version_id
    status = page.versions.item(page.versions.currentRow(), 2).text()
    assert status == ("Recommended" if result.recommended else "Not recommended")
    asked = []
    monkeypatch.setattr(trainer_page.QMessageBox, "question",
                        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(context.model_changed):
        page.activate_button.click()
    # always asked, and told that a fine-tune is not for a door; a model that is not better says so first
    assert len(asked) == 1 and "For door access, keep the shipped model." in asked[0]
    assert asked[0].startswith("This model is not recommended") != result.recommended
    assert context.gallery.active_model().id == result.version_id
    assert Path(context._engine.embedder.path) == result.onnx_path
    assert len(context.gallery.embedding_matrix(result.version_id)[0]) == 20
    assert page.versions.item(page.versions.currentRow(), 2).text() == "● In use"
    assert page.rollback_button.isEnabled() and not page.activate_button.isEnabled()

    # roll back: one click and a confirmation
    asked.clear()
    with qtbot.waitSignal(context.model_changed):
        page.rollback_button.click()
    assert "shipped model" in asked[0]
    assert context.gallery.active_model().file == BASE_MODEL_FILE
    assert Path(context._engine.embedder.path).name == BASE_MODEL_FILE
    in_use = [page.versions.item(r, 0).text() for r in range(page.versions.rowCount())
              if page.versions.item(r, 2).text() == "● In use"]
    assert in_use == ["Shipped model"] and not page.rollback_button.isEnabled()


def test_expert_options_start_hidden_and_off_and_reach_the_settings(page):
    assert not page.expert_button.isChecked() and not page.expert_box.isVisible()
    assert page.focal.toolTip().startswith("Above 0") and page.expert_labels["mixup"].text() == "Batches with MixUp:"
    s = page.training_settings()
    assert (s.focal_gamma, s.cutmix, s.mixup, s.attention) == (0.0, 0.0, 0.0, False)
    page.expert_button.click()
    assert page.focal.isVisible() and page.attention.isVisible()
    page.focal.setValue(2.0)
    page.cutmix.setValue(30)
    page.mixup.setValue(20)
    page.attention.setChecked(True)
    s = page.training_settings()
    assert (s.focal_gamma, s.cutmix, s.mixup, s.attention) == (2.0, 0.3, 0.2, True)
    page.restore_defaults()
    assert page.training_settings().attention is False and not page.expert_box.isVisible()
    page.attention.setChecked(True)
    assert page.training_settings().attention is False  # the box is closed: no option applies


def test_the_door_check_is_shown_and_its_folder_checked(page, context, tmp_path):
    assert page._unseen_problem("") is None
    assert page._unseen_problem(str(tmp_path / "gone")).startswith("The folder of people not enrolled was not found")
    assert page._unseen_problem(str(tmp_path)) == "The folder of people not enrolled holds no photos."
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "a.JPG").write_bytes(b"")
    assert page._unseen_problem(str(tmp_path)) is None

    door = {"threshold": 0.52, "strangers_named": 0, "strangers": 61, "fnir": 0.0}
    worse = dict(door, strangers_named=10)
    why = {"code": "ft_strangers_named", "params": {"after": 10, "total": 61, "threshold": 0.52, "before": 0}}
    metrics = {"recommended": False, "reason": "x", "why": why,
               "before": {"door": door, "door_masked": door}, "after": {"door": worse, "door_masked": door}}
    page._show_metrics(metrics)
    assert page.door.isVisible()
    assert page.door.text() == "Strangers the door would name: 0 → 10 of 61 photos; masked: 0 → 0."
    assert trainer_page.BAD in page.door.styleSheet()
    assert page.verdict.text() == ("Not recommended: the door would name 10 of 61 strangers at its threshold 0.52 "
                                   "(before: 0)")
    context.set_language("zh_CN")  # the core's reason code, worded in the UI's language
    page._show_metrics(metrics)
    assert "门禁在阈值 0.52 下会把 61 个陌生人中的 10 个" in page.verdict.text()
    assert page.door.text().startswith("门禁会误认的陌生人")
    context.set_language("en")
    page._show_metrics({"recommended": False, "reason": "x", "before": {}, "after": {}})  # trained without strangers
    assert page.door.text().startswith("Not checked against strangers")
    page._show_metrics(None)
    assert not page.door.isVisible()

"""Fine-tuning off the GUI thread: torch trains in a QThread while the Trainer tab draws its progress.

torch is imported in the thread when a run starts: the app itself never needs it, and importing it
takes seconds. Its thread count is capped (FINETUNE.gui_threads) so the live view keeps running.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from PySide6.QtCore import QThread, Signal

from faceapp.config import FINETUNE
from faceapp.ui.i18n import N_


def trainer_available() -> bool:
    """Whether torch and the trainer package are installed (the trainer extra)."""
    return find_spec("torch") is not None and find_spec("trainer") is not None


@dataclass(slots=True)
class TrainingSettings:
    """What the Trainer tab lets the user choose; the rest of FinetuneConfig keeps its defaults."""

    epochs: int = FINETUNE.epochs
    layers: str = FINETUNE.layers
    lr: float = FINETUNE.lr
    batch_size: int = FINETUNE.batch_size
    mask_share: float = FINETUNE.mask_share
    distill_weight: float = FINETUNE.distill_weight
    unseen_dir: str = ""  # photos of people not enrolled, with deepface-style pair lists; "" for none


class TrainingJob(QThread):
    """One fine-tuning run on the gallery; it registers the new model version when it finishes."""

    preparing = Signal(str)  # a step before training proper: an English UI string, shown through tr()
    progressed = Signal(object)  # trainer.finetune.loop.Progress
    succeeded = Signal(object)  # trainer.finetune.loop.TrainResult, cancelled runs included
    failed = Signal(object)  # the exception; a trainer.finetune.data.TrainingError says what the data lacks

    def __init__(self, gallery, settings: TrainingSettings, parent=None):
        super().__init__(parent)
        self.setObjectName("TrainingJob")
        self.gallery = gallery
        self.settings = settings
        self.cancel_event = threading.Event()

    def cancel(self) -> None:
        self.cancel_event.set()

    def run(self) -> None:
        try:
            self.preparing.emit(N_("Loading PyTorch…"))
            from trainer.finetune.data import AugmentConfig
            from trainer.finetune.loop import FinetuneConfig, finetune

            s = self.settings
            config = FinetuneConfig(epochs=s.epochs, batch_size=s.batch_size, lr=s.lr, layers=s.layers,
                                    distill_weight=s.distill_weight, augment=AugmentConfig(mask_p=s.mask_share),
                                    threads=FINETUNE.gui_threads)
            unseen = None
            if s.unseen_dir:
                self.preparing.emit(N_("Finding the faces of the people not enrolled…"))
                from trainer.finetune.eval_sets import pair_set_from_csv

                unseen = pair_set_from_csv(Path(s.unseen_dir))
            result = finetune(self.gallery, config, self.progressed.emit, self.cancel_event, unseen=unseen)
            result.state_dict = None  # the page shows figures; the weights are in the exported file
            self.succeeded.emit(result)
        except Exception as exc:  # reported (and logged) by the page
            self.failed.emit(exc)

"""Fine-tuning off the GUI thread: a JobThread whose work imports torch when the run starts (the app
itself never needs it, and importing it takes seconds). Its thread count is capped
(FINETUNE.gui_threads) so the live view keeps running."""

from __future__ import annotations

from dataclasses import replace

from faceapp.config import FINETUNE
from faceapp.jobs import Job
from faceapp.training import TrainingSettings
from faceapp.ui.i18n import N_
from faceapp.ui.workers.tasks import JobThread

# Steps before training proper, reported as the job's text with no TrainProgress: UI strings, shown
# through tr(). The second is how trainer.finetune.loop.finetune_with words it.
PREPARING = (N_("Loading PyTorch…"), N_("Finding the faces of the people not enrolled…"))


def training_thread(gallery, settings: TrainingSettings) -> JobThread:
    """A run on the gallery that registers the new model version. Its result is the TrainResult
    (cancelled runs included) without the weights: the page shows figures, the weights are in the
    exported file. A faceapp.training.TrainingError says what the data lacks."""

    def work(job: Job):
        job.report(0, 0, PREPARING[0])
        from trainer.finetune.loop import finetune_with

        result = finetune_with(gallery, replace(settings, threads=FINETUNE.gui_threads), job)
        result.state_dict = None
        return result

    thread = JobThread(work)
    thread.setObjectName("TrainingJob")
    return thread

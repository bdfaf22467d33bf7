"""Rolling embedder versions out and back: register a model file, activate it, roll back to the base.

Embeddings of different weights must never be compared, so activating a version first embeds every
stored crop with it (from the gallery's aligned crops: no photo is needed again), then switches the
active version in one transaction; a cancelled or failed activation leaves the old version running.
Fine-tuned models live in the data folder's models/ directory (their `file` is relative to the data
folder); the base model is the one shipped in resources/models. No torch here: this runs in the app.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from faceapp.jobs import Job
from faceapp.storage.gallery import Gallery, GalleryError, ModelVersion
from faceapp.resources import model_path

# The shipped embedder, in resources/models: SFace, whose lower FNIR at a strict FPIR is what 1:N at a
# door needs (docs/benchmarks.md, open-set section). Fine-tuning starts from MobileFaceNet (trainer/).
BASE_MODEL_FILE = "sface.onnx"
# Shipped base models of earlier versions: a gallery still on one moves to the current base.
LEGACY_BASE_FILES = ("mobilefacenet.onnx",)
FINETUNED_DIR = "models"  # in the data folder
# Crops embedded per onnxruntime call while re-embedding: large enough to amortise the call, small
# enough that cancel answers within a fraction of a second.
EMBED_BATCH = 64


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def data_folder(gallery: Gallery) -> Path:
    folder = gallery.local_folder
    if folder is None:
        raise GalleryError("This gallery is on a server and was opened without a data folder for model files; "
                           "open it through the data folder (--data-dir with --database).")
    return folder


def finetuned_dir(gallery: Gallery) -> Path:
    return data_folder(gallery) / FINETUNED_DIR


def model_file(gallery: Gallery, mv: ModelVersion) -> Path:
    """The ONNX file of a model version: in the data folder if it is there (and is that version's
    file: same sha256), else fetched from the gallery, else a shipped model."""
    local = data_folder(gallery) / mv.file
    if local.is_file() and file_sha256(local) == mv.sha256:
        return local
    data = gallery.model_file_bytes(mv)
    if data is not None:  # activated at another door: fetched from the shared server, sha256 checked
        local.parent.mkdir(parents=True, exist_ok=True)
        tmp = local.with_name(local.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(local)
        return local
    try:
        return model_path(Path(mv.file).name)
    except FileNotFoundError:
        raise GalleryError(f"The model file of version {mv.id} ({mv.name}) is missing: {local}") from None


def _embed_dim(path: Path) -> int:
    from faceapp.vision.embedder import Embedder

    return int(Embedder(path).embed(np.zeros((1, 112, 112, 3), np.uint8)).shape[1])


def base_version(gallery: Gallery) -> ModelVersion:
    """The shipped embedder's version (registered if new)."""
    path = model_path(BASE_MODEL_FILE)
    return gallery.register_model(path.stem, path.name, file_sha256(path), _embed_dim(path))


def register_finetuned(gallery: Gallery, path: str | Path, metrics: dict[str, Any]) -> ModelVersion:
    """Register a fine-tuned ONNX file (inactive). It must be in the data folder's models/ directory,
    so the gallery and its models move together."""
    path = Path(path).resolve()
    try:
        rel = path.relative_to(data_folder(gallery))
    except ValueError:
        raise ValueError(f"{path} is not inside the data folder {data_folder(gallery)}") from None
    mv = gallery.register_model(path.stem, rel.as_posix(), file_sha256(path), _embed_dim(path), metrics)
    if gallery.dialect == "postgresql":  # the other doors fetch it from there (model_file)
        gallery.store_model_file(mv, path.read_bytes())
    return mv



def active_model_file(gallery: Gallery) -> Path:
    """What the app's embedder should load: the active version's file, else the shipped model."""
    mv = gallery.active_model()
    return model_file(gallery, mv) if mv is not None else model_path(BASE_MODEL_FILE)


def ready_version(gallery: Gallery, current: ModelVersion) -> ModelVersion | None:
    """The active version, if it is not `current` and every stored crop has its embedding: what a
    door switches to when another door activated a version (with crops still missing it, its search
    would miss those people, so the door keeps `current` until they are there)."""
    mv = gallery.active_model()
    if mv is None or mv.id == current.id or _count_to_embed(gallery, mv, False):
        return None
    return mv


def _count_to_embed(gallery: Gallery, mv: ModelVersion, reembed_all: bool) -> int:
    sql, params = "SELECT COUNT(*) AS n FROM samples s", ()
    if not reembed_all:
        sql += " WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.sample_id = s.id AND e.model_version_id = ?)"
        params = (mv.id,)
    return int(gallery.query(sql, params)[0]["n"])


def activate_version(
    gallery: Gallery,
    version: int | ModelVersion,
    job: Job | None = None,
    *,
    force: bool = False,
    reembed_all: bool = False,
) -> ModelVersion | None:
    """Embed the gallery's stored crops with this version, then make it the active one.

    Only crops without an embedding for the version are embedded (all of them with reembed_all).
    A fine-tuned version whose training did not recommend it is refused unless `force`. Reports
    (crops embedded, crops to embed) to `job`; returns the activated version, or None if the job was
    cancelled: the new embeddings are written with the switch, in one transaction, so a cancel leaves
    nothing of them.
    """
    from faceapp.vision.embedder import Embedder

    job = job or Job()
    mv = gallery.model_version(version if isinstance(version, int) else version.id)
    if not force and mv.metrics.get("recommended") is False:
        raise GalleryError(f"Model version {mv.id} was not better than the base model on held-out photos "
                           f"({mv.metrics.get('reason', 'no reason recorded')}); activate it with force=True.")
    embedder = Embedder(model_file(gallery, mv))
    total = _count_to_embed(gallery, mv, reembed_all)
    ids: list[int] = []
    vectors: list[np.ndarray] = []
    batch_ids: list[int] = []
    batch: list[np.ndarray] = []

    def flush() -> None:
        if batch:
            vectors.append(embedder.embed(np.stack(batch)))
            ids.extend(batch_ids)
            batch.clear()
            batch_ids.clear()
            job.report(len(ids), total, "embedding the enrolled faces")

    for sample_id, crop in gallery.iter_crops(missing_for=None if reembed_all else mv):
        if job.cancelled:
            return None
        batch_ids.append(sample_id)
        batch.append(crop)
        if len(batch) == EMBED_BATCH:
            flush()
    flush()
    if job.cancelled:
        return None
    all_vectors = np.concatenate(vectors) if vectors else np.zeros((0, mv.dim), np.float32)
    with gallery.transaction():
        if reembed_all:
            gallery.replace_embeddings(mv, ids, all_vectors)
        elif ids:
            gallery.add_embeddings(mv, ids, all_vectors)
        gallery.activate_model(mv)
    return gallery.model_version(mv.id)


def rollback_to_base(gallery: Gallery, job: Job | None = None) -> ModelVersion | None:
    """Make the shipped base model active again (embedding any crops enrolled meanwhile); None if
    the job was cancelled."""
    return activate_version(gallery, base_version(gallery), job)


def upgrade_base(gallery: Gallery, job: Job | None = None) -> ModelVersion | None:
    """A gallery whose active version is an earlier shipped base model moves to the current one: its
    stored crops are embedded again and the new base made active (the thresholds in config are the
    current base's). Returns the new active version, or None when there was nothing to do."""
    mv = gallery.active_model()
    if mv is None or mv.file not in LEGACY_BASE_FILES:
        return None
    return rollback_to_base(gallery, job)

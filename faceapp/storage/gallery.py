"""The gallery: people, their face samples and embeddings, model versions, events, attendance and
settings, all in one SQLite file (WAL, foreign keys on, one transaction per multi-row change).

The class is assembled from one part per table group (faceapp.storage.people, .samples, ...).
"""

# Gallery's records and errors, importable from here too for code written before faceapp.storage exported them
from faceapp.storage.database import GalleryError  # noqa: F401
from faceapp.storage.events import Events
from faceapp.storage.model_versions import ModelVersions
from faceapp.storage.people import People
from faceapp.storage.records import Event, EventKind, ModelVersion, Person, Sample, now, stamp  # noqa: F401
from faceapp.storage.samples import Samples
from faceapp.storage.schedules import Schedules
from faceapp.storage.schema import SCHEMA_VERSION  # noqa: F401
from faceapp.storage.settings import Settings
from faceapp.storage.vectors import Vectors


class Gallery(People, Samples, ModelVersions, Events, Settings, Vectors, Schedules):
    """One open gallery database. Thread-safe: calls are serialised on one connection."""

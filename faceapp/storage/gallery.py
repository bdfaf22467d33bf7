"""The gallery: people, their face samples and embeddings, model versions, events, attendance and
settings, all in one SQLite file (WAL, foreign keys on, one transaction per multi-row change).

The class is assembled from one part per table group; the records and errors it uses are exported
here too, as they are from faceapp.storage.
"""

from faceapp.storage.database import GalleryError
from faceapp.storage.events import Events
from faceapp.storage.model_versions import ModelVersions
from faceapp.storage.people import People
from faceapp.storage.png import decode_png, encode_png
from faceapp.storage.records import Event, EventKind, ModelVersion, Person, Sample, now, stamp
from faceapp.storage.samples import Samples
from faceapp.storage.schema import SCHEMA_VERSION
from faceapp.storage.settings import Settings

__all__ = [
    "SCHEMA_VERSION",
    "Event",
    "EventKind",
    "Gallery",
    "GalleryError",
    "ModelVersion",
    "Person",
    "Sample",
    "decode_png",
    "encode_png",
    "now",
    "stamp",
]


class Gallery(People, Samples, ModelVersions, Events, Settings):
    """One open gallery database. Thread-safe: calls are serialised on one connection."""

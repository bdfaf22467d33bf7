"""Storage: the gallery database (people, samples, embeddings, model versions, events, settings), its schema and records."""

from faceapp.storage.database import GalleryError
from faceapp.storage.gallery import Gallery
from faceapp.storage.records import Event, EventKind, ModelVersion, Person, Sample, now, stamp
from faceapp.storage.schema import SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION",
    "Event",
    "EventKind",
    "Gallery",
    "GalleryError",
    "ModelVersion",
    "Person",
    "Sample",
    "now",
    "stamp",
]

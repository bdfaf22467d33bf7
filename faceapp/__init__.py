"""faceapp: face recognition for attendance and door access.

The package root is the Qt-free core (detection, alignment, embedding, liveness, gallery,
attendance, access); ``faceapp.ui`` only displays it.
"""

__version__ = "0.1.0"

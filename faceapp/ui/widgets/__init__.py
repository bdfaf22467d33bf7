"""Reusable widgets: the live picture, the person form, enrollment strips, the training plot."""

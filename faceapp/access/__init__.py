"""Access: the door decision for a face, its schedule and output actions, and the admin PIN."""

"""Modal dialogs: enrollment and the admin PIN prompt."""

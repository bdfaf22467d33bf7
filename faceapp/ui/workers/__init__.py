"""Work off the GUI thread: the live camera worker, background tasks and fine-tuning."""

"""Model building and fine-tuning. Needs the `trainer` (torch) or `build` extra; the app never imports it."""

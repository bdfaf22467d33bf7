"""Fine-tuning the embedder on enrolled people (torch): data, ArcFace head, the training loop, metrics."""

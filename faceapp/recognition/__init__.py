"""Recognition: who a face is (1:N search, the recognizer), enrolling people, and embedder model versions."""

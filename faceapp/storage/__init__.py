"""Storage: the gallery database (people, samples, embeddings, events, attendance, settings) and its schema."""

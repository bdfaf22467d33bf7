"""Evaluation: accuracy protocols, metrics, speed benchmarks and the installation self-test."""

"""Benchmarks: ``python -m bench`` runs them all and prints figures; ``python -m bench.<name>``
runs one (see docs/benchmarks.md)."""

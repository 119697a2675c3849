"""Deliver a compiled issue to every destination exactly once."""

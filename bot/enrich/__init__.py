"""Fetch shared pages safely and extract what a newsletter shows."""

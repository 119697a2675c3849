"""Capture: links in chat messages become draft items (links, canonical URLs, whys, ingest)."""

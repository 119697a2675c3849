"""Compile approved items into an issue and render it for every destination."""

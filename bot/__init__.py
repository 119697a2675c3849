"""Linkletter: turn the links a team shares in chat into a newsletter."""

"""Jinja2 templates (a package so setuptools ships them with bot.digest)."""

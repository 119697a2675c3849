"""``python -m bot`` is the ``linkletter`` command."""

from bot.cli import main

main()

"""Destinations beyond chat, files and SMTP: a signed webhook, newsletter-platform drafts
(Buttondown, Ghost, Mailchimp) and a static site in a git checkout. See docs/destinations.md.

Nothing is imported here: ``settings`` (the ``[destinations.*]`` models) is read by
``bot.config``, which must stay light; ``build`` makes the destinations and loads them all.
"""

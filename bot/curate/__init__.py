"""Curation: editors' facts decide each item's state (rules, the service, commands)."""

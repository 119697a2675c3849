"""The editors' desk: the next issue and its queue in the browser (docs/desk.md)."""

"""The console adapter: the offline demo and history imports, fed through the same core path."""

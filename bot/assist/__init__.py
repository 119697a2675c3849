"""Optional AI assist (issue 11): summaries, suggested sections and why-lines from any
OpenAI-compatible chat-completions endpoint, with an extractive no-model fallback.

Nothing else in Linkletter depends on this package working: it runs as its own background
loop, and every failure is recorded on the item instead of raised to the caller.
"""

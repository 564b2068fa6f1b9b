"""The benchmark harness: `python -m bench` (or `uv run just bench`)."""

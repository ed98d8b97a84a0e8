"""Offline evaluation of the copilot's retrieval core (``python -m copilot.eval --help``)."""

"""Notebook/.py → cells, magics, static analysis, a class's submissions (no torch)."""

"""The pages, one module per kind of person, and what they share (common.py)."""

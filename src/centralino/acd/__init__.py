"""acd layer."""

"""Alembic migration scripts (a package so that installed wheels ship them)."""

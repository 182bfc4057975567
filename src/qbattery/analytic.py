"""Closed forms (placeholder, filled in below)."""

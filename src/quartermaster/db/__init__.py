"""Persistence: declarative base, engine factory, the single commit point, and migrations."""

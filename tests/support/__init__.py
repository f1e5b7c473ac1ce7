"""Test support: database fixtures, a world of organizations and users, HTTP helpers."""

"""Contracts and their implementation: signatures, amendments, deliveries with acceptance, payments."""

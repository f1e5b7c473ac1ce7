"""Evaluation committees and the tender opening keys they hold in shares."""

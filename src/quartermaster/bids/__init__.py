"""Bids and candidacies: submission before the deadline, sealed until opening, revision in negotiation."""

"""Evaluation and award decisions per lot; an award opens the standstill period and drafts the contract."""

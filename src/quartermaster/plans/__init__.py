"""Procurement plans: what a buyer intends to buy in a year, from which budget line, by which procedure."""

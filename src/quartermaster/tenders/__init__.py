"""Tenders: the contracting process from notice to award, with lots, items and enquiries."""

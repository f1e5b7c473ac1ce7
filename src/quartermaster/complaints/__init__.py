"""Claims to the buyer and complaints to the review body, with their outcomes."""

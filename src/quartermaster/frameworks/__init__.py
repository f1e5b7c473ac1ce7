"""Framework agreements and their call-offs: direct orders from the catalogue and mini-competitions."""

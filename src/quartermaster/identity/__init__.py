"""Organizations (OCDS parties), users and API tokens."""

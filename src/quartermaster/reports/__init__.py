"""Reports generated from recorded decisions (the evaluation report)."""

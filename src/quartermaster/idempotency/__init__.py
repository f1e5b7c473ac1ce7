"""Idempotency keys: a retried POST replays the stored response instead of acting twice."""

"""Deterministic synthetic demo data, generated through the services (``quartermaster seed``, ``demo``)."""

from quartermaster.seed.generator import SCALES, SeedResult, SeedSpec, SeedState, digest, seed, seed_state

__all__ = ["SCALES", "SeedResult", "SeedSpec", "SeedState", "digest", "seed", "seed_state"]

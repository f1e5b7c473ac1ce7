"""The sealed-bid benchmark (bench/sealing_bench.py) still runs against today's code, at a tiny size.

Nothing is timed: the test checks that every figure is produced and that the opening ceremony opened every bid,
so that `make bench` cannot quietly rot.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from quartermaster.db.tx import Database

BENCH = Path(__file__).resolve().parents[3] / "bench"


def test_sealing_bench_runs_at_a_tiny_size(database: Database) -> None:
    spec = importlib.util.spec_from_file_location("qm_bench_sealing", BENCH / "sealing_bench.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["qm_bench_sealing"] = module
    spec.loader.exec_module(module)
    result = module.run(database, opening_bids=6, submissions=4, seal_bids=10)
    assert result["opening"]["bids"] == 6  # the bench asserts every one of them opened
    assert result["seal"]["seal_per_s"] > 0
    assert result["submission"]["plain_ms"] > 0
    assert result["submission"]["sealed_ms"] > 0

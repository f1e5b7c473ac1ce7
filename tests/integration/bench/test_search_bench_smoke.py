"""The public search benchmark (bench/search_bench.py) still runs against today's code, at a tiny size.

Nothing is timed: the test checks that every query kind is asked as a whole page and as the HTMX partial, that each
answer announces its matches, and that at least some kinds find something, so that `make bench` cannot quietly rot.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from fastapi.testclient import TestClient

from quartermaster.api.app import create_app
from quartermaster.config import Settings
from quartermaster.db.tx import Database
from quartermaster.types import FixedClock

BENCH = Path(__file__).resolve().parents[3] / "bench"


def _load(name: str) -> ModuleType:
    key = f"qm_bench_{name}"
    if key in sys.modules:
        return sys.modules[key]
    spec = importlib.util.spec_from_file_location(key, BENCH / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    spec.loader.exec_module(module)
    return module


def test_every_query_kind_is_measured_as_page_and_partial(database: Database, tmp_path: Path) -> None:
    bench = _load("search_bench")
    seeded = bench.seed_tenders(database, bench.full_spec(12))
    app = create_app(
        Settings(data_dir=tmp_path, run_scheduler=False), clock=FixedClock(bench.SEED_NOW), database=database
    )

    with TestClient(app, raise_server_exceptions=False) as client:
        out = bench.measure(client, database, samples=2, warmup=1)

    assert seeded["tenders"] >= 12
    assert 0 < seeded["public"] <= seeded["tenders"]
    for form in ("page", "partial"):
        assert set(out[form]) == {*bench.KINDS, "overall"}
        assert all(out[form][kind]["n"] == 2 for kind in bench.KINDS)
        assert out[form]["overall"]["n"] == 2 * len(bench.KINDS)
    assert out["baseline"]["n"] == 2 * len(bench.KINDS)
    assert max(m["max"] for m in out["matches"].values()) > 0

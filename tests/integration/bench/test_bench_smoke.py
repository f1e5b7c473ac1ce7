"""The benchmark's lifecycle driver still runs against today's services (it is not timed here)."""

from __future__ import annotations

import importlib.util
import sys
from decimal import Decimal
from pathlib import Path
from types import ModuleType

from quartermaster.actors import SCHEDULER
from quartermaster.awards import service as awards
from quartermaster.db.tx import Database
from quartermaster.types import FixedClock

LIFECYCLE = Path(__file__).resolve().parents[3] / "bench" / "lifecycle.py"


def _load_driver() -> ModuleType:
    name = "qm_bench_lifecycle"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, LIFECYCLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module


def test_benchmark_lifecycle_drives_a_tender_to_a_signed_award(database: Database, clock: FixedClock) -> None:
    driver = _load_driver()
    cast = driver.build_cast(database, clock.now(), 3)

    tender_id = driver.run_lifecycle(database, clock, cast, n_bids=3)

    assert driver.lifecycle_status(database, tender_id) == "complete"
    with database.unit_of_work(write=False) as s:
        made = awards.list_awards(s, actor=SCHEDULER, tender_id=tender_id)
        assert [(a.status, a.supplier_id, a.value_amount) for a in made] == [
            ("active", cast.suppliers[2].organization_id, Decimal("898000.00"))  # the lowest of the three prices
        ]

"""The transparency benchmark (bench/transparency_bench.py) still runs against today's code, at tiny sizes.

Nothing here is timed: the tests check that every measurement does the work it claims (counts, proofs, entries
appended) so that `make bench` cannot quietly rot.
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from pathlib import Path
from types import ModuleType

from fastapi.testclient import TestClient
from rich.console import Console
from sqlalchemy import func, select

from quartermaster.api.app import create_app
from quartermaster.codelists import load_codelists
from quartermaster.config import Settings
from quartermaster.db.tx import Database
from quartermaster.publication.context import build_publication
from quartermaster.publication.models import RELEASE, LogEntry
from quartermaster.seed import SeedSpec
from quartermaster.transparency import canonical_json
from quartermaster.types import FixedClock

BENCH = Path(__file__).resolve().parents[3] / "bench"
TINY = SeedSpec(buyers=2, suppliers=4, tenders=6)


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


def _printed(*tables: object) -> str:
    console = Console(file=io.StringIO(), width=200)
    for table in tables:
        console.print(table)
    text: str = console.file.getvalue()  # type: ignore[attr-defined]
    return text


def _entries(database: Database) -> tuple[int, int, int, int]:
    """(entries, release entries, processes with a release, bytes of leaf input)."""
    with database.unit_of_work(write=False) as s:
        return (
            s.scalar(select(func.count()).select_from(LogEntry)) or 0,
            s.scalar(select(func.count()).select_from(LogEntry).where(LogEntry.kind == RELEASE)) or 0,
            s.scalar(select(func.count(func.distinct(LogEntry.ocid))).where(LogEntry.kind == RELEASE)) or 0,
            s.scalar(select(func.sum(func.length(LogEntry.leaf_input)))) or 0,
        )


def test_exports_and_verification_cover_every_published_release(database: Database, tmp_path: Path) -> None:
    bench, report = _load("transparency_bench"), _load("transparency_report")
    settings = Settings(data_dir=tmp_path / "data", run_scheduler=False)
    database.before_commit = build_publication(settings, load_codelists(None)).publisher

    seeded = bench.seed_demo(database, TINY)
    exports = bench.measure_exports(database, settings, tmp_path, reps=1)
    written = bench.export_signed_log(database, settings, tmp_path / "log")
    verification = bench.measure_verification(tmp_path / "log", tmp_path, reps=1)

    entries, releases, processes, leaf_bytes = _entries(database)
    assert seeded["entries"] == entries == written > 0
    assert exports["releases"] == releases
    assert {form: f["count"] for form, f in exports["forms"].items()} == {
        "jsonl": releases,
        "release-package": releases,
        "record-package": processes,
        "csv": releases,
        "xlsx": releases,
    }
    assert all(f["vs_raw"] > 0 for f in exports["forms"].values())
    assert verification["entries"] == entries
    assert verification["leaf_bytes"] == leaf_bytes
    assert 0 < verification["ratio"] < 1  # verify parses and re-encodes every leaf: never faster than hashing it
    text = _printed(report.exports_table({"sqlite": {"exports": exports}}), report.verification_table(verification))
    assert "xlsx" in text
    assert "quartermaster verify DIR" in text


def test_appends_publication_and_served_proofs_match_the_log(
    database: Database, tmp_path: Path, clock: FixedClock
) -> None:
    bench, report = _load("transparency_bench"), _load("transparency_report")
    app = create_app(Settings(data_dir=tmp_path, run_scheduler=False), clock=clock, database=database)
    publisher = database.before_commit
    assert publisher is not None

    hashes, bulk = bench.build_log(database, size=37, batch=10)
    tree = bench.tree_of(hashes)
    with TestClient(app) as client:
        route = bench.measure_proof_route(client, tree, samples=5)  # raises if a served proof differs from the tree
    single = bench.measure_single_appends(database, count=3)
    publication = bench.measure_publication(database, publisher, reps=1, per_rep=2, now=clock.now())

    leaf = bench.synthetic_leaf(5)
    assert canonical_json(json.loads(leaf)) == leaf  # a synthetic leaf is a well-formed canonical leaf input
    assert (bulk["rows"], tree.size, route["size"], route["inclusion"]["n"]) == (37, 37, 37, 5)
    assert single["rows"] == 3
    assert publication["appended"] == 3  # one warm-up and two timed publications with the publisher on
    assert _entries(database)[0] == 37 + 3 + 3
    assert database.before_commit is publisher  # the A/B switch is undone
    engines = {"sqlite": {"publication": publication, "single_append": single, "bulk_append": bulk, "route": route}}
    text = _printed(report.appends_table(engines), report.route_table(engines))
    assert "publisher on" in text
    assert "/api/v1/log/proof/consistency" in text


def test_tree_proofs_are_generated_and_verified_for_each_sample() -> None:
    bench, report = _load("transparency_bench"), _load("transparency_report")

    proofs = bench.measure_tree(size=100, samples=40)  # verification raises ProofError on any wrong proof

    kinds = ("inclusion_latest", "inclusion_older", "consistency", "verify_inclusion_latest", "verify_consistency")
    assert proofs["size"] == 100
    assert all(proofs[k]["n"] == 40 and 0 < proofs[k]["p50"] <= proofs[k]["p99"] for k in kinds)
    assert "consistency proof" in _printed(report.tree_table(proofs))

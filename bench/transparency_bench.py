"""Issue 3's figures: bulk exports, log appends, Merkle proofs at a million leaves and verification throughput.

Every figure is a median of repeated runs and stands beside a baseline measured in the same run on the same data:

- exports: releases per second of ``bulk.write_export`` in each form, beside reading the same entries' leaf input;
- appends: tender publications per second with the publisher (each appends one log entry) and without it, and raw
  appends (``LogEntry`` rows inserted directly, in batches and one per transaction);
- proofs: inclusion and consistency proofs of a 2**20-leaf ``MerkleTree`` in memory, and the HTTP proof routes
  on a log of that many entries (checked hash by hash against the in-memory tree), beside ``GET /healthz``;
- verification: leaf-input bytes per second of ``quartermaster verify`` over an exported log, beside raw
  ``hashlib.sha256`` over the same bytes.

This module imports only ``quartermaster`` and its sibling ``lifecycle``, so the smoke test can load it by path
(tests/integration/bench/test_transparency_bench_smoke.py) and ``bench/run.py`` can run it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import httpx
from rich.console import Console
from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from quartermaster.codelists import load_codelists
from quartermaster.config import Settings
from quartermaster.db.tx import Database
from quartermaster.publication import bulk
from quartermaster.publication.keys import load_signer
from quartermaster.publication.log import TransparencyLog
from quartermaster.publication.models import RELEASE, LogEntry
from quartermaster.publication.service import Publisher
from quartermaster.rules import rulebook_for
from quartermaster.scheduler import integrate_log
from quartermaster.seed import SeedSpec, seed
from quartermaster.tenders import service as tenders
from quartermaster.tenders.schemas import PublishTender
from quartermaster.transparency import MerkleTree, leaf_hash, verify_consistency, verify_inclusion
from quartermaster.types import FixedClock
from quartermaster.verify import run as verify_command

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import lifecycle  # noqa: E402  (a sibling script module)

Json = dict[str, Any]
LOG_TABLE = cast(Table, LogEntry.__table__)  # Core INSERT: no ORM unit-of-work bookkeeping per row
SEED_NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # the demo data set ends here (fixed, so runs compare)
FORMS = tuple(bulk.FORMATS)
SYNTHETIC_DATE = datetime(2026, 1, 1, tzinfo=UTC)
# RFC 8785 canonical by construction: keys in code-point order, no whitespace, ASCII strings only.
_SYNTHETIC_LEAF = (
    '{"kind":"release","ocid":"%(ocid)s","release":{"date":"2026-01-01T00:00:00Z","id":"%(ocid)s-%(index)d",'
    '"ocid":"%(ocid)s","tag":["tender"]}}'
)


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def percentiles(samples: list[float]) -> Json:
    """Median and p99 (nearest rank) of ``samples``, with their count."""
    ordered = sorted(samples)
    p99 = ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]
    return {"p50": statistics.median(ordered), "p99": p99, "n": len(ordered)}


# --- the demo data set and its bulk exports --------------------------------------------------------------------


def seed_demo(db: Database, spec: SeedSpec) -> Json:
    """Seed ``spec`` through the services (``db`` must publish: its before_commit is the publisher)."""
    result = seed(db, spec=spec, clock=FixedClock(SEED_NOW))
    if result.failures:
        raise RuntimeError(f"seeding failed: {result.failures[0]}")
    with db.unit_of_work(write=False) as s:
        entries = s.scalar(select(func.count()).select_from(LogEntry)) or 0
    if not entries:
        raise RuntimeError("the seeded database published nothing: is the publisher its before_commit hook?")
    return {"tenders": spec.tenders, "commands": result.commands, "seconds": result.seconds, "entries": entries}


def _read_leaf_inputs(db: Database) -> tuple[int, int]:
    """Stream the leaf input of every release entry in index order: (entries, bytes)."""
    n = size = 0
    with db.unit_of_work(write=False) as s:
        query = select(LogEntry.leaf_input).where(LogEntry.kind == RELEASE).order_by(LogEntry.index)
        for data in s.scalars(query.execution_options(yield_per=1000)):
            n, size = n + 1, size + len(data)
    return n, size


def measure_exports(
    db: Database, settings: Settings, workdir: Path, *, reps: int, forms: Iterable[str] = FORMS
) -> Json:
    """Releases per second of each export form (median of ``reps``, forms interleaved), beside the raw read."""
    forms = list(forms)
    releases, leaf_bytes = _read_leaf_inputs(db)
    sink = workdir / "export.out"
    raw: list[float] = []
    times: dict[str, list[float]] = {form: [] for form in forms}
    counts: dict[str, int] = {}
    written: dict[str, int] = {}
    for _ in range(reps):
        seconds, (n, _) = _timed(lambda: _read_leaf_inputs(db))
        if n != releases:
            raise RuntimeError(f"read {n} release entries, expected {releases}")
        raw.append(seconds)
        for form in forms:
            with sink.open("wb") as file:
                seconds, counts[form] = _timed(lambda: bulk.write_export(db, settings, form, file))  # noqa: B023
            times[form].append(seconds)
            written[form] = sink.stat().st_size
    sink.unlink(missing_ok=True)
    raw_rate = releases / statistics.median(raw)
    out: Json = {
        "releases": releases,
        "leaf_bytes": leaf_bytes,
        "reps": reps,
        "raw_read": {"seconds": raw, "releases_per_s": raw_rate, "mb_per_s": leaf_bytes / statistics.median(raw) / 1e6},
        "forms": {},
    }
    for form in forms:
        rate = releases / statistics.median(times[form])
        out["forms"][form] = {
            "count": counts[form],  # releases written; records for record-package
            "seconds": times[form],
            "releases_per_s": rate,
            "bytes": written[form],
            "vs_raw": rate / raw_rate,
        }
    return out


# --- verification throughput -----------------------------------------------------------------------------------


def export_signed_log(db: Database, settings: Settings, out_dir: Path) -> int:
    """Sign a checkpoint over everything published, then write the log export ``quartermaster verify`` reads."""
    integrate_log(db, FixedClock(SEED_NOW), TransparencyLog.with_signer(load_signer(settings)))
    return bulk.export_log(db, settings, out_dir)


def _exported_leaves(export_dir: Path) -> list[bytes]:
    with (export_dir / "entries.jsonl").open("rb") as lines:
        return [base64.b64decode(json.loads(line)["leaf_input"]) for line in lines]


def measure_verification(export_dir: Path, workdir: Path, *, reps: int) -> Json:
    """Leaf-input bytes per second of ``quartermaster verify DIR`` beside raw SHA-256 (and json.loads) of them."""
    leaves = _exported_leaves(export_dir)
    total = sum(len(b) for b in leaves)
    verify_s: list[float] = []
    for i in range(reps):
        console = Console(file=io.StringIO(), width=200)
        state = workdir / f"verify-state-{i}.json"  # a first-time auditor every run: same work each time
        seconds, code = _timed(lambda: verify_command(str(export_dir), key=None, state=state, console=console))  # noqa: B023
        said = console.file.getvalue()  # type: ignore[attr-defined]
        if code != 0 or f"verified {len(leaves)} entries" not in said:
            raise RuntimeError(f"verify exited {code}: {said.strip()}")
        verify_s.append(seconds)
    sha_s = [_timed(lambda: [hashlib.sha256(b).digest() for b in leaves])[0] for _ in range(max(5, reps))]
    json_s = [_timed(lambda: [json.loads(b) for b in leaves])[0] for _ in range(max(3, reps))]
    verify_rate, sha_rate = total / statistics.median(verify_s), total / statistics.median(sha_s)
    return {
        "entries": len(leaves),
        "leaf_bytes": total,
        "export_bytes": sum(f.stat().st_size for f in export_dir.rglob("*") if f.is_file()),
        "verify": {"seconds": verify_s, "mb_per_s": verify_rate / 1e6},
        "sha256": {"seconds": sha_s, "mb_per_s": sha_rate / 1e6},
        "json_loads": {"seconds": json_s, "mb_per_s": total / statistics.median(json_s) / 1e6},
        "ratio": verify_rate / sha_rate,
    }


# --- log appends -----------------------------------------------------------------------------------------------


def synthetic_leaf(index: int) -> bytes:
    """The canonical leaf input of a small synthetic release entry (four entries per process)."""
    return (_SYNTHETIC_LEAF % {"ocid": f"ocds-qm0000-bench{index // 4:07d}", "index": index}).encode()


def synthetic_rows(start: int, stop: int) -> list[Json]:
    """``log_entries`` rows ``start`` ≤ index < ``stop`` with synthetic leaves."""
    rows = []
    for index in range(start, stop):
        data = synthetic_leaf(index)
        process = f"bench{index // 4:07d}"
        rows.append(
            {
                "index": index,
                "kind": RELEASE,
                "ocid": f"ocds-qm0000-{process}",
                "process_id": process,
                "release_id": f"ocds-qm0000-{process}-{index}",
                "release_date": SYNTHETIC_DATE,
                "published_at": SYNTHETIC_DATE,
                "tags": ["tender"],
                "marking": "public",
                "complete": True,
                "discloses": None,
                "leaf_input": data,
                "leaf_hash": leaf_hash(data),
                "full_release": None,
                "salt": None,
            }
        )
    return rows


def _next_index(db: Database) -> int:
    with db.unit_of_work(write=False) as s:
        last = s.scalar(select(func.max(LogEntry.index)))
    return 0 if last is None else last + 1


def build_log(db: Database, *, size: int, batch: int) -> tuple[bytearray, Json]:
    """Append ``size`` synthetic entries in transactions of ``batch`` rows (Core INSERT, executemany).

    Only the INSERT and COMMIT are timed (the rows are built before); returns the leaf hashes and the rate.
    """
    start = _next_index(db)
    hashes = bytearray()
    seconds: list[float] = []
    leaf_bytes = 0
    for first in range(start, start + size, batch):
        rows = synthetic_rows(first, min(start + size, first + batch))
        t0 = time.perf_counter()
        with _bare(db) as s:
            s.execute(insert(LOG_TABLE), rows)
        seconds.append(time.perf_counter() - t0)
        hashes += b"".join(row["leaf_hash"] for row in rows)
        leaf_bytes += sum(len(row["leaf_input"]) for row in rows)
    return hashes, {
        "rows": size,
        "batch": batch,
        "seconds": sum(seconds),
        "rows_per_s": size / sum(seconds),
        "leaf_bytes_avg": leaf_bytes / size,
    }


def measure_single_appends(db: Database, *, count: int) -> Json:
    """Raw appends one row per transaction: the floor under any publication, which commits once per change."""
    start = _next_index(db)
    times = []
    for index in range(start, start + count):
        rows = synthetic_rows(index, index + 1)
        t0 = time.perf_counter()
        with _bare(db) as s:
            s.execute(insert(LOG_TABLE), rows)
        times.append(time.perf_counter() - t0)
    return {"rows": count, "rows_per_s": count / sum(times), "ms": percentiles([t * 1000 for t in times])}


@contextmanager
def _bare(db: Database) -> Iterator[Session]:
    """A write unit of work with the before-commit hook switched off (raw appends publish nothing)."""
    hook, db.before_commit = db.before_commit, None
    try:
        with db.unit_of_work() as session:
            yield session
    finally:
        db.before_commit = hook


def _count_entries(db: Database) -> int:
    with db.unit_of_work(write=False) as s:
        return s.scalar(select(func.count()).select_from(LogEntry)) or 0


def measure_publication(db: Database, publisher: Publisher, *, reps: int, per_rep: int, now: datetime) -> Json:
    """Tender publications per second with the publisher (each appends one log entry) and without it.

    Draft tenders are created first (untimed); then batches of ``per_rep`` publications alternate between the two
    modes (AB, BA, AB, ...) so that drift on a shared machine falls on both alike.
    """
    lists = load_codelists(None)
    cast = lifecycle.build_cast(db, now, 0)
    drafts: list[str] = []
    with db.unit_of_work() as s:
        for n in range(2 * reps * per_rep + 2):
            spec = lifecycle.tender_spec(n)
            drafts.append(tenders.create_tender(s, actor=cast.buyer, now=now, spec=spec, lists=lists).id)
    book = rulebook_for(now)
    mins = tenders.minimum_periods(book, book.procedure("open"), now)
    assert mins["enquiry_end"] is not None
    assert mins["tender_end"] is not None
    periods = PublishTender(enquiry_end=mins["enquiry_end"], tender_end=mins["tender_end"])
    pending = iter(drafts)

    def batch(hook: Publisher | None, n: int) -> float:
        db.before_commit = hook
        ids = [next(pending) for _ in range(n)]
        t0 = time.perf_counter()
        for tender_id in ids:
            with db.unit_of_work() as s:
                tenders.publish_tender(s, actor=cast.approver, now=now, tender_id=tender_id, periods=periods)
        return n / (time.perf_counter() - t0)

    before = _count_entries(db)
    rates: dict[str, list[float]] = {"with": [], "without": []}
    try:
        batch(publisher, 1), batch(None, 1)  # warm-up: statement caches, first-use imports
        for rep in range(reps):
            order = [("with", publisher), ("without", None)]
            for mode, hook in order if rep % 2 == 0 else order[::-1]:
                rates[mode].append(batch(hook, per_rep))
    finally:
        db.before_commit = publisher
    appended = _count_entries(db) - before
    if appended != reps * per_rep + 1:
        raise RuntimeError(f"{appended} log entries appended by {reps * per_rep + 1} publications with the publisher")
    with_rate, without_rate = statistics.median(rates["with"]), statistics.median(rates["without"])
    return {
        "reps": reps,
        "per_rep": per_rep,
        "appended": appended,
        "with": {"rates": rates["with"], "per_s": with_rate},
        "without": {"rates": rates["without"], "per_s": without_rate},
        "ratio": with_rate / without_rate,
        "overhead_ms": 1000 * (1 / with_rate - 1 / without_rate),
    }


# --- proofs ----------------------------------------------------------------------------------------------------


def _latencies(fn: Callable[..., Any], cases: Iterable[tuple[Any, ...]]) -> tuple[list[float], list[Any]]:
    """Microseconds of ``fn(*case)`` for each case, and what each call returned."""
    micros, values = [], []
    for case in cases:
        t0 = time.perf_counter_ns()
        values.append(fn(*case))
        micros.append((time.perf_counter_ns() - t0) / 1000)
    return micros, values


def measure_tree(*, size: int, samples: int, seed: int = 3) -> Json:
    """Proof generation and verification on a ``size``-leaf MerkleTree of random leaf hashes, in microseconds.

    Inclusion proofs are taken against the whole tree (the latest checkpoint) and against random older sizes in
    [size/2, size] (whose ragged right edges cost extra hashes); consistency proofs from a random older size.
    """
    rng = random.Random(seed)
    data = rng.randbytes(32 * size)
    leaves = [data[i : i + 32] for i in range(0, len(data), 32)]
    del data
    t0 = time.perf_counter()
    tree = MerkleTree(leaves)
    build_s = time.perf_counter() - t0
    del leaves  # the tree keeps its own copy, one bytearray per level
    roots: dict[int, bytes] = {}

    def root(n: int) -> bytes:
        if n not in roots:
            roots[n] = tree.root(n)
        return roots[n]

    latest = [(rng.randrange(size), size) for _ in range(samples)]
    older = [(rng.randrange(n), n) for n in (rng.randint(max(1, size // 2), size) for _ in range(samples))]
    pairs = [(rng.randint(1, size - 1), size) for _ in range(samples)]
    out: Json = {"size": size, "build_s": build_s, "samples": samples}
    for name, cases in (("inclusion_latest", latest), ("inclusion_older", older)):
        micros, proofs = _latencies(tree.inclusion_proof, cases)
        out[name] = percentiles(micros)
        inclusions = [(tree.leaf(i), i, n, p, root(n)) for (i, n), p in zip(cases, proofs, strict=True)]
        out[f"verify_{name}"] = percentiles(_latencies(verify_inclusion, inclusions)[0])
    micros, proofs = _latencies(tree.consistency_proof, pairs)
    out["consistency"] = percentiles(micros)
    consistencies = [(m, n, p, root(m), root(n)) for (m, n), p in zip(pairs, proofs, strict=True)]
    out["verify_consistency"] = percentiles(_latencies(verify_consistency, consistencies)[0])
    return out


def tree_of(hashes: bytes | bytearray) -> MerkleTree:
    """The in-memory tree over concatenated 32-byte leaf hashes."""
    return MerkleTree(bytes(hashes[i : i + 32]) for i in range(0, len(hashes), 32))


def _b64list(values: Any) -> list[bytes]:
    return [base64.b64decode(v) for v in values]


def _get(client: httpx.Client, path: str) -> tuple[float, Json]:
    """Milliseconds of one GET, and its JSON body; RuntimeError for any status but 200."""
    t0 = time.perf_counter()
    response = client.get(path)
    ms = (time.perf_counter() - t0) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}: {response.text[:300]}")
    body: Json = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    return ms, body


def measure_proof_route(client: httpx.Client, tree: MerkleTree, *, samples: int, seed: int = 5) -> Json:
    """Latency (ms) of the HTTP proof routes over a log of ``tree.size`` entries, beside ``GET /healthz``.

    The first request fills the server's tree cache from the database (a restarted server pays it once) and is
    reported on its own. Every served proof is compared hash by hash with the proof of the in-memory ``tree``.
    """
    size, rng = tree.size, random.Random(seed)
    cold_ms, body = _get(client, f"/api/v1/log/proof/inclusion?index={size - 1}&size={size}")
    _check_inclusion(tree, size - 1, size, body)
    times: dict[str, list[float]] = {"healthz": [], "inclusion": [], "consistency": []}
    for _ in range(samples):  # interleaved, so that noise falls on all three alike
        times["healthz"].append(_get(client, "/healthz")[0])
        n = rng.randint(max(1, size // 2), size)
        index = rng.randrange(n)
        ms, body = _get(client, f"/api/v1/log/proof/inclusion?index={index}&size={n}")
        _check_inclusion(tree, index, n, body)
        times["inclusion"].append(ms)
        first = rng.randint(1, size)
        ms, body = _get(client, f"/api/v1/log/proof/consistency?first={first}&second={size}")
        if _b64list(body["proof"]) != tree.consistency_proof(first, size):
            raise RuntimeError(f"the served consistency proof {first} -> {size} differs from the tree's")
        times["consistency"].append(ms)
    return {"size": size, "samples": samples, "cold_ms": cold_ms, **{k: percentiles(v) for k, v in times.items()}}


def _check_inclusion(tree: MerkleTree, index: int, size: int, body: Json) -> None:
    served_leaf = base64.b64decode(body["leaf_hash"])
    if served_leaf != tree.leaf(index) or _b64list(body["proof"]) != tree.inclusion_proof(index, size):
        raise RuntimeError(f"the served inclusion proof of {index} in {size} differs from the tree's")

"""`make bench`: lifecycles per second, HTTP bid throughput beside the framework ceiling, the transparency
figures of issue 3 (bulk exports, log appends, proofs at a million leaves, verification beside raw SHA-256), and
the public tender search of issue 4 (p50/p95/p99 over the seeded ~2,000 tenders beside a trivial endpoint).

One run measures everything on SQLite (file, WAL) and PostgreSQL so that the ratios compare like with like:

    python bench/run.py                  # full run, about 6 minutes
    python bench/run.py --quick          # smoke run, short durations and small sizes
    python bench/run.py --only transparency --sqlite-only --json results.json
    python bench/run.py --only search

Everything runs on 127.0.0.1. Temporary files, the scratch PostgreSQL database (``qm_bench``) and every child
process are removed on exit, on Ctrl-C, on SIGTERM and when the time budget (--budget) runs out.
"""

from __future__ import annotations

import argparse
import json
import platform
import signal
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from quartermaster.codelists import load_codelists
from quartermaster.config import Settings
from quartermaster.db.engine import make_engine
from quartermaster.db.migrate import upgrade
from quartermaster.db.tx import Database
from quartermaster.publication.context import build_publication
from quartermaster.seed import SCALES, SeedSpec
from quartermaster.types import FixedClock

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import http_bench  # noqa: E402  (sibling script modules)
import lifecycle  # noqa: E402
import sealing_bench  # noqa: E402
import search_bench  # noqa: E402
import transparency_bench  # noqa: E402
import transparency_report  # noqa: E402

ROOT = HERE.parent
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
SCRATCH = "qm_bench"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday under rulebook 2025.1, as in the tests
TARGET_RATIO, TARGET_P99_MS = 0.30, 100.0
SECTIONS = ("lifecycles", "http", "transparency", "search", "sealing")
console = Console(width=None if sys.stdout.isatty() else 120)


class OutOfTime(Exception):
    """The benchmark's time budget ran out."""


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    if signum == signal.SIGALRM:
        raise OutOfTime("time budget exhausted")
    raise KeyboardInterrupt  # SIGTERM: unwind through every finally block like Ctrl-C


def git_commit() -> str:
    """The checked-out commit, read from .git without running git."""
    git = ROOT / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head[:12]
        ref = head[5:]
        if (git / ref).exists():
            return (git / ref).read_text().strip()[:12]
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split()[0][:12]
    except OSError:
        pass
    return "unknown"


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import os

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "commit": git_commit(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "loadavg_before": os.getloadavg()[0],
    }


class Scratch:
    """Temporary databases: SQLite files under a temp dir and the PostgreSQL database ``qm_bench``."""

    def __init__(self, tmp: Path, pg_admin_url: str | None) -> None:
        self.tmp, self.pg_admin_url = tmp, pg_admin_url
        self.pg_created = False

    def _admin(self) -> Any:
        assert self.pg_admin_url is not None
        return make_engine(self.pg_admin_url).execution_options(isolation_level="AUTOCOMMIT")

    def fresh(self, engine_name: str, label: str) -> tuple[str, Database]:
        """A newly migrated, empty database."""
        if engine_name == "sqlite":
            url = f"sqlite:///{self.tmp / f'{label}.db'}"
        else:
            self.drop_pg()
            admin = self._admin()
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{SCRATCH}"'))
            admin.dispose()
            self.pg_created = True
            assert self.pg_admin_url is not None
            url = make_url(self.pg_admin_url).set(database=SCRATCH).render_as_string(hide_password=False)
        engine = make_engine(url)
        upgrade(engine)
        return url, Database(engine)

    def drop_pg(self) -> None:
        """Drop ``qm_bench`` (closing any connection still open on it)."""
        if self.pg_admin_url is None:
            return
        admin = self._admin()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)'))
        admin.dispose()
        self.pg_created = False


def pg_version(url: str) -> str:
    """The PostgreSQL server's version string."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.scalar(text("SHOW server_version")))
    finally:
        engine.dispose()


def bench_lifecycles(scratch: Scratch, engine_name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Median lifecycles per second on one engine."""
    _, db = scratch.fresh(engine_name, "lifecycles")
    try:
        clock = FixedClock(START)
        cast = lifecycle.build_cast(db, clock.now(), args.bids)
        return lifecycle.measure(
            db, clock, cast, reps=args.reps, per_rep=args.per_rep, n_bids=args.bids, warmup=1 if args.quick else 3
        )
    finally:
        db.dispose()


def bench_sealing(scratch: Scratch, engine_name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Issue 5's sealed-bid figures on one engine."""
    _, db = scratch.fresh(engine_name, "sealing")
    try:
        return sealing_bench.run(
            db,
            opening_bids=args.opening_bids,
            submissions=args.submissions,
            seal_bids=args.seal_bids,
            document_bytes=args.document_mib * 2**20,
        )
    finally:
        db.dispose()


def sealing_report(engines: dict[str, Any]) -> None:
    """Print the sealed-bid table: sealing and opening rates beside their baselines, sealed over plain submission."""
    table = Table(title="Sealed bids (service layer, one process; baselines from the same run)")
    for column in ("engine", "figure", "value", "baseline", "ratio"):
        table.add_column(column, justify="left" if column in ("engine", "figure") else "right")
    for name, r in engines.items():
        seal, opening, sub = r["seal"], r["opening"], r["submission"]
        table.add_row(
            name,
            f"bids sealed/s on the client ({sealing_bench.LOTS} lots)",
            f"{seal['seal_per_s']:,.0f}",
            f"SHA-256 {seal['sha256_per_s']:,.0f}/s",
            f"{seal['seal_per_s'] / seal['sha256_per_s']:.4f}",
        )
        table.add_row(
            name,
            f"bids opened/s, ceremony of {opening['bids']} bids",
            f"{opening['open_per_s']:,.0f}",
            f"HPKE open only {opening['raw_open_per_s']:,.0f}/s",
            f"{opening['open_per_s'] / opening['raw_open_per_s']:.2f}",
        )
        docs = r["documents"]
        size = f"{docs['bytes'] / 2**20:.0f} MiB"
        table.add_row(
            name,
            f"document sealed MB/s on the client ({size})",
            f"{docs['seal_mb_s']:,.0f}",
            f"SHA-256 {docs['sha256_mb_s']:,.0f} MB/s",
            f"{docs['seal_mb_s'] / docs['sha256_mb_s']:.2f}",
        )
        table.add_row(
            name,
            f"document opened MB/s ({size}, commitment checked)",
            f"{docs['open_mb_s']:,.0f}",
            f"SHA-256 {docs['sha256_mb_s']:,.0f} MB/s",
            f"{docs['open_mb_s'] / docs['sha256_mb_s']:.2f}",
        )
        table.add_row(
            name,
            "submit_bid median ms, sealed (incl. sealing) vs plain",
            f"{sub['sealed_ms']:.2f}",
            f"plain {sub['plain_ms']:.2f}",
            f"{sub['ratio']:.2f}",
        )
    console.print(table)
    for name, r in engines.items():
        o = r["opening"]
        console.print(f"{name}: opening {o['bids']} sealed bids took {o['open_bids_s']:.2f} s end to end")


def bench_http(scratch: Scratch, engine_name: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Bids and the ceiling over HTTP on one engine."""
    url, db = scratch.fresh(engine_name, "http")
    work = workdir / f"http-{engine_name}"
    work.mkdir()
    try:
        return http_bench.measure(
            url,
            db,
            work,
            rounds=args.rounds,
            warmup=args.warmup,
            duration=args.duration,
            clients=args.clients,
            tenders=args.tenders,
            suppliers=args.suppliers,
            client=args.client,
            say=console.print,
        )
    finally:
        db.dispose()


def demo_spec(tenders: int) -> SeedSpec:
    """The demo scale of `quartermaster demo` (6 buyers, 40 suppliers), with ``tenders`` tenders."""
    base = SCALES["demo"]
    return replace(base, tenders=tenders, scale="demo" if tenders == base.tenders else "custom")


def _publishing(work: Path, url: str) -> tuple[Settings, Any]:
    """Settings for a database in ``work`` (its log key lives there) and the publisher built from them."""
    settings = Settings(data_dir=work, database_url=url, run_scheduler=False)
    return settings, build_publication(settings, load_codelists(None)).publisher


def bench_transparency(
    scratch: Scratch, engine_name: str, args: argparse.Namespace, workdir: Path, section: dict[str, Any]
) -> dict[str, Any]:
    """Issue 3's figures on one engine: the demo data set's exports, then a log of ``--log-size`` entries.

    The first engine also exports its signed log for the (engine-independent) verification figure.
    """
    work = workdir / f"transparency-{engine_name}"
    out: dict[str, Any] = {}
    url, db = scratch.fresh(engine_name, "demo")
    try:
        settings, publisher = _publishing(work / "demo", url)
        db.before_commit = publisher
        out["seed"] = transparency_bench.seed_demo(db, demo_spec(args.seed_tenders))
        console.print(f"  seeded {out['seed']['tenders']} tenders: {out['seed']['entries']} log entries")
        out["exports"] = transparency_bench.measure_exports(db, settings, work, reps=args.export_reps)
        if "verification" not in section:
            export_dir = work / "log-export"
            transparency_bench.export_signed_log(db, settings, export_dir)
            section["verification"] = transparency_bench.measure_verification(export_dir, work, reps=args.verify_reps)
            section["verification"]["engine"] = engine_name
    finally:
        db.dispose()
    url, db = scratch.fresh(engine_name, "log")
    try:
        settings, publisher = _publishing(work / "log", url)
        db.before_commit = publisher
        hashes, out["bulk_append"] = transparency_bench.build_log(db, size=args.log_size, batch=args.log_batch)
        console.print(f"  appended {args.log_size:,} entries in {out['bulk_append']['seconds']:.1f} s")
        tree = transparency_bench.tree_of(hashes)
        del hashes
        server = http_bench.Server(url, settings.data_dir, work / "server.log")
        try:
            server.wait_ready()
            with httpx.Client(base_url=server.base_url, timeout=120.0) as client:
                out["route"] = transparency_bench.measure_proof_route(client, tree, samples=args.route_samples)
        finally:
            server.stop()
        del tree
        out["single_append"] = transparency_bench.measure_single_appends(db, count=args.single_appends)
        out["publication"] = transparency_bench.measure_publication(
            db, publisher, reps=args.publish_reps, per_rep=args.per_publish, now=START
        )
    finally:
        db.dispose()
    return out


def bench_search(
    scratch: Scratch, engine_name: str, args: argparse.Namespace, workdir: Path, copy_from: str | None
) -> tuple[str, dict[str, Any]]:
    """Issue 4's search figures on one engine: seed the full scale (or copy the first engine's data set), serve
    it, time the search page. Returns the database URL too, for the next engine to copy from."""
    url, db = scratch.fresh(engine_name, "search")
    work = workdir / f"search-{engine_name}"
    work.mkdir()
    try:
        result = search_bench.run(
            url,
            db,
            work,
            tenders=args.search_tenders,
            samples=args.search_samples,
            copy_from=copy_from,
            say=console.print,
        )
        return url, result
    finally:
        db.dispose()


def search_report(engines: dict[str, Any]) -> None:
    """Print the search table and the verdict on issue 4's target (p95 under 100 ms)."""
    some = next(iter(engines.values()))
    t = Table(
        title=f"Public search GET /tenders, {some['seed']['public']:,} public tenders, one client, "
        f"{some['samples']} samples per kind and form (ms)"
    )
    for col in ("engine", "query", "matches (median)", "page p50", "p95", "p99", "partial p50", "p95", "p99"):
        t.add_column(col, justify="left" if col in ("engine", "query") else "right")
    for name, r in engines.items():
        b = r["baseline"]
        t.add_row(name, "GET /healthz (baseline)", "", f"{b['p50']:.1f}", f"{b['p95']:.1f}", f"{b['p99']:.1f}")
        for kind in (*search_bench.KINDS, "overall"):
            page, part = r["page"][kind], r["partial"][kind]
            matches = f"{r['matches'][kind]['median']:,.0f}" if kind in r["matches"] else ""
            t.add_row(
                name,
                kind,
                matches,
                *(f"{page[k]:.1f}" for k in ("p50", "p95", "p99")),
                *(f"{part[k]:.1f}" for k in ("p50", "p95", "p99")),
            )
    console.print(t)
    for name, r in engines.items():
        worst = max(r[form]["overall"]["p95"] for form in ("page", "partial"))
        ratio = r["page"]["overall"]["p50"] / r["baseline"]["p50"] if r["baseline"]["p50"] else 0.0
        console.print(
            f"{name}: search p95 {worst:.0f} ms (target < {search_bench.TARGET_P95_MS:.0f} ms: "
            f"{_mark(worst < search_bench.TARGET_P95_MS)}); page p50 {ratio:.1f}× the baseline's"
        )


def _mark(ok: bool) -> str:
    return "[green]met[/]" if ok else "[red]missed[/]"


def report(results: dict[str, Any]) -> None:
    """Print the tables."""
    m = results["machine"]
    console.print(
        f"\n[bold]Quartermaster benchmark[/] — commit {m['commit']}, Python {m['python']}, "
        f"{m['nproc']} CPUs ({m['cpu']}), SQLite {m['sqlite']}, PostgreSQL {m.get('postgresql', '-')}"
    )
    if results["lifecycles"]:
        lifecycle_table(results["lifecycles"])
    if results["http"]:
        http_report(results)
    if results.get("transparency"):
        transparency_report.render(results["transparency"], console)
    if results.get("search"):
        search_report(results["search"])
    if results.get("sealing"):
        sealing_report(results["sealing"])
    if m["loadavg_before"] > 0.5:
        console.print(
            f"[yellow]The machine was busy before the run (1-minute load {m['loadavg_before']:.1f}): "
            "other work shared the CPUs, so these figures understate what it can do.[/]"
        )


def lifecycle_table(lifecycles: dict[str, Any]) -> None:
    """Print the lifecycles table."""
    t = Table(title="Full lifecycles through the service layer (no HTTP)")
    for col in ("engine", "lifecycles/s (median)", "min–max", "reps × lifecycles", "bids each"):
        t.add_column(col, justify="right" if col != "engine" else "left")
    for name, r in lifecycles.items():
        t.add_row(
            name,
            f"{r['median']:.1f}",
            f"{min(r['rates']):.1f}–{max(r['rates']):.1f}",
            f"{len(r['rates'])} × {r['per_rep']}",
            str(r["bids"]),
        )
    console.print(t)


def http_report(results: dict[str, Any]) -> None:
    """Print the HTTP table and the verdicts on its targets."""
    h = Table(title=f"HTTP, {results['settings']['clients']} concurrent clients (medians of rounds)")
    cols = ("engine", "endpoint", "req/s", "p50 ms", "p99 ms", "server CPU ms/req", "ok", "errors", "ratio")
    for col in cols:
        h.add_column(col, justify="left" if col in ("engine", "endpoint") else "right")
    for name, r in results["http"].items():
        c, b = r["ceiling"], r["bids"]
        r["ratio"] = b["throughput"] / c["throughput"] if c["throughput"] else 0.0
        r["cpu_ratio"] = c["server_cpu_ms"] / b["server_cpu_ms"] if b["server_cpu_ms"] else 0.0
        for label, x, ratio in (("GET /healthz (ceiling)", c, "1.00"), ("POST bids (201)", b, f"{r['ratio']:.2f}")):
            h.add_row(
                name,
                label,
                f"{x['throughput']:.0f}",
                f"{x['p50_ms']:.1f}",
                f"{x['p99_ms']:.1f}",
                f"{x['server_cpu_ms']:.2f}",
                str(x["ok"]),
                str(sum(x["errors"].values())),
                ratio,
            )
    console.print(h)
    for name, r in results["http"].items():
        b = r["bids"]
        console.print(
            f"{name}: bids at {r['ratio']:.0%} of the ceiling (target ≥ {TARGET_RATIO:.0%}: "
            f"{_mark(r['ratio'] >= TARGET_RATIO)}; by server CPU per request {r['cpu_ratio']:.0%}); "
            f"p99 {b['p99_ms']:.0f} ms "
            f"(target < {TARGET_P99_MS:.0f} ms: {_mark(b['p99_ms'] < TARGET_P99_MS)})"
        )
        for part in ("ceiling", "bids"):
            for status, sample in r[part]["error_samples"].items():
                console.print(f"  [red]{part} error {status} ×{r[part]['errors'][status]}[/]: {sample}")
    console.print("[dim]The load generator runs on the same machine and competes with the server for CPU.[/]")


def parse(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options; --quick shortens everything."""
    p = argparse.ArgumentParser(description="Quartermaster benchmark (see docs/benchmarks.md)")
    p.add_argument("--quick", action="store_true", help="short smoke run")
    p.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    p.add_argument("--json", type=Path, help="write the results here")
    p.add_argument("--pg-url", default=DEFAULT_PG, help="PostgreSQL server (a scratch database qm_bench is used)")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument(
        "--client",
        choices=["raw", "httpx"],
        default="raw",
        help="load generator: minimal asyncio HTTP/1.1 client (default) or httpx.AsyncClient",
    )
    p.add_argument("--rounds", type=int, help="HTTP rounds per engine (default 3; quick 1)")
    p.add_argument("--duration", type=float, help="seconds per HTTP measurement (default 5; quick 1)")
    p.add_argument("--warmup", type=float, help="seconds of warm-up before each (default 1.5; quick 0.5)")
    p.add_argument("--reps", type=int, help="lifecycle repetitions (default 5; quick 2)")
    p.add_argument("--per-rep", type=int, help="lifecycles per repetition (default 10; quick 2)")
    p.add_argument("--bids", type=int, default=3, help="bids per lifecycle")
    p.add_argument("--tenders", type=int, help="tenders open for HTTP bids (default 60; quick 20)")
    p.add_argument("--suppliers", type=int, help="supplier users with tokens (default 300; quick 40)")
    p.add_argument("--budget", type=int, default=1800, help="hard time limit in seconds")
    p.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections ({', '.join(SECTIONS)})")
    p.add_argument("--seed-tenders", type=int, help="tenders in the demo data set (default 150 as in `demo`; quick 20)")
    p.add_argument("--export-reps", type=int, help="runs of each export form (default 3; quick 1)")
    p.add_argument("--verify-reps", type=int, help="runs of `verify` over the exported log (default 3; quick 1)")
    p.add_argument(
        "--log-size", type=int, help="entries of the log behind the proof routes (default 2**20; quick 2**14)"
    )
    p.add_argument("--log-batch", type=int, default=10_000, help="rows a transaction when building that log")
    p.add_argument("--tree-size", type=int, default=2**20, help="leaves of the in-memory Merkle tree")
    p.add_argument("--proof-samples", type=int, help="in-memory proofs of each kind (default 5000; quick 1000)")
    p.add_argument("--route-samples", type=int, help="requests to each proof route (default 1000; quick 200)")
    p.add_argument("--single-appends", type=int, help="raw one-row transactions (default 500; quick 100)")
    p.add_argument("--publish-reps", type=int, help="batches of publications in each mode (default 5; quick 2)")
    p.add_argument("--per-publish", type=int, help="publications a batch (default 20; quick 5)")
    p.add_argument(
        "--search-tenders", type=int, help="tenders seeded for the search (default 2000, the full scale; quick 200)"
    )
    p.add_argument("--search-samples", type=int, help="searches of each kind and form (default 100; quick 20)")
    p.add_argument("--opening-bids", type=int, help="sealed bids opened at one ceremony (default 500; quick 50)")
    p.add_argument("--submissions", type=int, help="sealed and plain submissions timed (default 300; quick 40)")
    p.add_argument("--seal-bids", type=int, help="bids sealed per client round (default 2000; quick 200)")
    p.add_argument("--document-mib", type=int, help="size of the sealed document timed (default 10 MiB; quick 2)")
    args = p.parse_args(argv)
    args.only = [x.strip() for x in args.only.split(",") if x.strip()]
    if unknown := set(args.only) - set(SECTIONS):
        p.error(f"unknown section(s) {', '.join(sorted(unknown))}; use {', '.join(SECTIONS)}")
    defaults = {
        "rounds": (3, 1),
        "duration": (5.0, 1.0),
        "warmup": (1.5, 0.5),
        "reps": (5, 2),
        "per_rep": (10, 2),
        "tenders": (60, 20),
        "suppliers": (300, 40),  # 60 x 300 = 18,000 (tender, supplier) pairs: enough for three rounds at ~500 bids/s
        "seed_tenders": (SCALES["demo"].tenders, 20),
        "export_reps": (3, 1),
        "verify_reps": (3, 1),
        "log_size": (2**20, 2**14),
        "proof_samples": (5000, 1000),
        "route_samples": (1000, 200),
        "single_appends": (500, 100),
        "publish_reps": (5, 2),
        "per_publish": (20, 5),
        "search_tenders": (SCALES["full"].tenders, 200),
        "search_samples": (100, 20),
        "opening_bids": (500, 50),
        "submissions": (300, 40),
        "seal_bids": (2000, 200),
        "document_mib": (10, 2),
    }
    for key, (full, quick) in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, quick if args.quick else full)
    if not args.sqlite_only and make_url(args.pg_url).host not in ("127.0.0.1", "localhost", "::1"):
        p.error("the benchmark only targets a PostgreSQL server on 127.0.0.1")
    return args


@contextmanager
def guarded(budget: int) -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt and stop after ``budget`` seconds, restoring handlers after."""
    old = {s: signal.signal(s, _on_signal) for s in (signal.SIGTERM, signal.SIGALRM)}
    # Ctrl-C must unwind even when the shell started us with SIGINT ignored (a background job).
    old[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.alarm(budget)
    try:
        yield
    finally:
        signal.alarm(0)
        for s, h in old.items():
            signal.signal(s, h)


def main(argv: list[str] | None = None) -> int:
    """Run every measurement, print the tables, optionally write JSON."""
    args = parse(argv)
    engines = ["sqlite"] if args.sqlite_only else ["sqlite", "postgresql"]
    results: dict[str, Any] = {
        "machine": machine(),
        "lifecycles": {},
        "http": {},
        "transparency": {},
        "search": {},
        "sealing": {},
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="qm-bench-") as tmp, guarded(args.budget):
        if not args.sqlite_only:
            try:
                results["machine"]["postgresql"] = pg_version(args.pg_url)
            except OperationalError as exc:
                console.print(f"[red]PostgreSQL at {args.pg_url} is unreachable ({exc.orig}); measuring SQLite only[/]")
                engines = ["sqlite"]
        scratch = Scratch(Path(tmp), args.pg_url if "postgresql" in engines else None)
        try:
            for name in engines if "lifecycles" in args.only else []:
                console.print(f"[bold]lifecycles[/] on {name} …")
                results["lifecycles"][name] = bench_lifecycles(scratch, name, args)
                console.print(f"  median {results['lifecycles'][name]['median']:.1f} lifecycles/s")
            for name in engines if "http" in args.only else []:
                console.print(f"[bold]HTTP[/] on {name} …")
                results["http"][name] = bench_http(scratch, name, args, Path(tmp))
            if "transparency" in args.only:
                section = results["transparency"]
                console.print(f"[bold]Merkle proofs[/] in memory, {args.tree_size:,} leaves …")
                section["proofs"] = transparency_bench.measure_tree(size=args.tree_size, samples=args.proof_samples)
                section["engines"] = {}
                for name in engines:
                    console.print(f"[bold]transparency[/] on {name} …")
                    section["engines"][name] = bench_transparency(scratch, name, args, Path(tmp), section)
            seeded: str | None = None  # the first engine seeds; the others get a copy of the same data set
            for name in engines if "search" in args.only else []:
                console.print(f"[bold]search[/] on {name} …")
                url, results["search"][name] = bench_search(scratch, name, args, Path(tmp), seeded)
                seeded = seeded or url
            for name in engines if "sealing" in args.only else []:
                console.print(f"[bold]sealed bids[/] on {name} …")
                results["sealing"][name] = bench_sealing(scratch, name, args)
        except KeyboardInterrupt:
            console.print("[red]interrupted; cleaning up[/]")
            return 130
        except OutOfTime:
            console.print(f"[red]stopped: the {args.budget} s budget ran out; cleaning up[/]")
            return 2
        finally:
            signal.alarm(0)  # the clean-up itself must not be cut short
            scratch.drop_pg()
    results["seconds"] = time.perf_counter() - t0
    report(results)
    console.print(f"[dim]total {results['seconds']:.0f} s[/]")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
        console.print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

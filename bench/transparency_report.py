"""The tables of issue 3's figures (bench/transparency_bench.py), printed by ``bench/run.py``."""

from __future__ import annotations

import statistics
from typing import Any

from rich.console import Console
from rich.table import Table

Json = dict[str, Any]


def _table(title: str, columns: list[str], left: int = 1) -> Table:
    table = Table(title=title)
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i < left else "right")
    return table


def _n(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"


def exports_table(engines: dict[str, Json]) -> Table:
    """Releases exported per second in each form, beside reading the same leaf inputs."""
    some = next(iter(engines.values()))["exports"]
    t = _table(
        f"Bulk exports of the demo data set ({some['releases']:,} releases; median of {some['reps']})",
        ["engine", "form", "releases/s", "median s", "MB written", "vs raw read"],
        left=2,
    )
    for name, result in engines.items():
        ex = result["exports"]
        raw = ex["raw_read"]
        t.add_row(
            name,
            "raw read of the leaf inputs (baseline)",
            _n(raw["releases_per_s"]),
            f"{statistics.median(raw['seconds']):.3f}",
            f"{ex['leaf_bytes'] / 1e6:.1f} read",
            "1.00",
        )
        for form, f in ex["forms"].items():
            count = f" ({f['count']} records)" if form == "record-package" else ""
            t.add_row(
                name,
                form + count,
                _n(f["releases_per_s"]),
                f"{statistics.median(f['seconds']):.3f}",
                f"{f['bytes'] / 1e6:.1f}",
                f"{f['vs_raw']:.3f}",
            )
    return t


def appends_table(engines: dict[str, Json]) -> Table:
    """Publications with and without the publisher, and raw appends."""
    t = _table("Log appends", ["engine", "what", "per second", "detail"], left=2)
    for name, r in engines.items():
        pub, single, bulk = r["publication"], r["single_append"], r["bulk_append"]
        reps = f"median of {pub['reps']} × {pub['per_rep']}"
        t.add_row(name, "publish_tender, publisher on (1 entry each)", _n(pub["with"]["per_s"]), reps)
        t.add_row(name, "publish_tender, publisher off (baseline)", _n(pub["without"]["per_s"]), reps)
        t.add_row(
            name,
            "  with / without",
            f"{pub['ratio']:.2f}",
            f"publication costs {pub['overhead_ms']:.2f} ms a change",
        )
        ms = single["ms"]
        t.add_row(
            name,
            "raw append, 1 row a transaction",
            _n(single["rows_per_s"]),
            f"{single['rows']} rows; p50 {ms['p50']:.2f} ms, p99 {ms['p99']:.2f} ms",
        )
        t.add_row(
            name,
            f"raw append, {bulk['batch']:,} rows a transaction",
            _n(bulk["rows_per_s"]),
            f"{bulk['rows']:,} rows of ~{bulk['leaf_bytes_avg']:.0f} B in {bulk['seconds']:.1f} s",
        )
    return t


def tree_table(proofs: Json) -> Table:
    """Proof generation and verification in memory."""
    t = _table(
        f"Merkle proofs in memory, {proofs['size']:,} leaves (built in {proofs['build_s']:.1f} s; "
        f"{proofs['samples']:,} samples each)",
        ["operation", "p50 µs", "p99 µs"],
    )
    rows = [
        ("inclusion proof, latest size", "inclusion_latest"),
        ("inclusion proof, older size (n/2 to n)", "inclusion_older"),
        ("consistency proof m → n", "consistency"),
        ("verify inclusion (latest size)", "verify_inclusion_latest"),
        ("verify inclusion (older size)", "verify_inclusion_older"),
        ("verify consistency", "verify_consistency"),
    ]
    for label, key in rows:
        t.add_row(label, f"{proofs[key]['p50']:.1f}", f"{proofs[key]['p99']:.1f}")
    return t


def route_table(engines: dict[str, Json]) -> Table:
    """HTTP proof routes beside /healthz."""
    t = _table("Proof routes over HTTP (one keep-alive client, serial)", ["engine", "log size", "endpoint"], left=3)
    for col in ("p50 ms", "p99 ms", "first request ms"):
        t.add_column(col, justify="right")
    for name, r in engines.items():
        route = r["route"]
        for label, key in (
            ("GET /healthz (baseline)", "healthz"),
            ("GET /api/v1/log/proof/inclusion", "inclusion"),
            ("GET /api/v1/log/proof/consistency", "consistency"),
        ):
            cold = f"{route['cold_ms']:.0f} (cold cache)" if key == "inclusion" else ""
            t.add_row(name, f"{route['size']:,}", label, f"{route[key]['p50']:.2f}", f"{route[key]['p99']:.2f}", cold)
    return t


def verification_table(v: Json) -> Table:
    """quartermaster verify beside raw SHA-256 over the same bytes."""
    t = _table(
        f"Verification of an exported log ({v['entries']:,} entries, {v['leaf_bytes'] / 1e6:.1f} MB of leaf input, "
        f"{v['export_bytes'] / 1e6:.1f} MB of files)",
        ["what", "MB/s of leaf input", "median s", "vs sha256"],
    )
    sha = v["sha256"]["mb_per_s"]
    for label, key in (
        ("quartermaster verify DIR", "verify"),
        ("hashlib.sha256 per entry (baseline)", "sha256"),
        ("json.loads per entry (for scale)", "json_loads"),
    ):
        part = v[key]
        median_s = statistics.median(part["seconds"])
        t.add_row(label, f"{part['mb_per_s']:,.1f}", f"{median_s:.4f}", f"{part['mb_per_s'] / sha:.4f}")
    return t


def render(results: Json, console: Console) -> None:
    """Print every table of the transparency section that was measured."""
    engines = results.get("engines", {})
    if engines:
        console.print(exports_table(engines))
        console.print(appends_table(engines))
    if "proofs" in results:
        console.print(tree_table(results["proofs"]))
    if engines:
        console.print(route_table(engines))
    if "verification" in results:
        v = results["verification"]
        console.print(verification_table(v))
        console.print(
            f"verification runs at {v['ratio']:.2%} of raw SHA-256 over the same bytes "
            f"({v['verify']['mb_per_s']:.1f} against {v['sha256']['mb_per_s']:,.0f} MB/s)"
        )

"""Bids over HTTP beside the framework ceiling: prepare tenders, serve the app in a subprocess, drive the load.

The server is uvicorn running ``quartermaster.api.main:app`` (the factory `quartermaster serve` uses) with the
scheduler off, on 127.0.0.1 and a free port. The load generator (bench/http_load.py) runs in a third process.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from quartermaster.codelists import load_codelists
from quartermaster.db.tx import Database
from quartermaster.scheduler import run_due
from quartermaster.types import SystemClock

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import lifecycle  # noqa: E402  (a sibling script module)


def prepare_tenders(db: Database, *, tenders: int, suppliers: int) -> dict[str, Any]:
    """``tenders`` open tenders in active.tendering until next month, and ``suppliers`` supplier tokens."""
    now = datetime.now(UTC)
    published = now - timedelta(days=30)  # enquiries (3 working days) are long over, tendering runs 60 more days
    cast = lifecycle.build_cast(db, published, suppliers, tokens=True)
    lists = load_codelists(None)
    rows = []
    for n in range(tenders):
        tid, _, _ = lifecycle.create_and_publish(
            db, cast, lists, now=published, n=n, tender_end=now + timedelta(days=30)
        )
        rows.append(tid)
    run_due(db, SystemClock())  # ends every enquiry period: the tenders are now accepting bids
    plan_tenders = []
    with db.unit_of_work(write=False) as s:
        from quartermaster.tenders import service as tenders_service

        for tid in rows:
            t = tenders_service.get_tender(s, tid, actor=cast.buyer)
            assert t.status == "active.tendering", t.status
            plan_tenders.append({"id": tid, "lot_id": t.lots[0].id})
    return {"tenders": plan_tenders, "tokens": cast.supplier_tokens}


def free_port() -> int:
    """An unused TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """uvicorn serving the app in its own process group; ``stop()`` is safe to call twice."""

    def __init__(self, database_url: str, data_dir: Path, log: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "QM_DATABASE_URL": database_url, "QM_DATA_DIR": str(data_dir), "QM_RUN_SCHEDULER": "false"}
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "quartermaster.api.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Poll /healthz until the server answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self._log.name}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not answer within {timeout} s")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used so far, from /proc (0 where unavailable)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """Terminate the server's process group, then kill it if it lingers."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()


def load(
    base_url: str,
    mode: str,
    *,
    warmup: float,
    duration: float,
    clients: int,
    client: str = "raw",
    plan: Path | None = None,
    start: int = 0,
) -> dict[str, Any]:
    """Run bench/http_load.py once in a subprocess and return its JSON result."""
    cmd = [
        sys.executable,
        str(HERE / "http_load.py"),
        "--base-url",
        base_url,
        "--mode",
        mode,
        "--warmup",
        str(warmup),
        "--duration",
        str(duration),
        "--clients",
        str(clients),
        "--client",
        client,
    ]
    if plan is not None:
        cmd += ["--plan", str(plan), "--start", str(start)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=warmup + duration + 60)
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed ({proc.returncode}): {err.decode()[-2000:]}")
    result: dict[str, Any] = json.loads(out)
    return result


def _timed(server: Server, **kwargs: Any) -> dict[str, Any]:
    """One load run, with the server's CPU milliseconds per request (warm-up included in both counts).

    Unlike throughput, CPU per request hardly changes when other work shares the machine, so it is the figure to
    compare across runs; the ratio of two such figures approximates the throughput ratio on an idle machine.
    """
    before = server.cpu_seconds()
    result = load(**kwargs)
    done = result["requests"] + result["warmup_requests"]
    result["server_cpu_ms"] = (server.cpu_seconds() - before) * 1000 / done if done else 0.0
    return result


def summarize(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over rounds, plus summed request and error counts."""
    errors: dict[str, int] = {}
    samples: dict[str, str] = {}
    for r in rounds:
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
        samples.update(r["error_samples"])
    return {
        "throughput": statistics.median(r["throughput"] for r in rounds),
        "p50_ms": statistics.median(r["p50_ms"] for r in rounds),
        "p99_ms": statistics.median(r["p99_ms"] for r in rounds),
        "requests": sum(r["requests"] for r in rounds),
        "ok": sum(r["ok"] for r in rounds),
        "server_cpu_ms": statistics.median(r["server_cpu_ms"] for r in rounds),
        "errors": errors,
        "error_samples": samples,
        "rounds": rounds,
    }


def measure(
    database_url: str,
    db: Database,
    workdir: Path,
    *,
    rounds: int,
    warmup: float,
    duration: float,
    clients: int,
    tenders: int,
    suppliers: int,
    client: str = "raw",
    say: Any = print,
) -> dict[str, Any]:
    """Alternate ceiling and bid rounds against one server; medians of each."""
    t0 = time.perf_counter()
    plan = prepare_tenders(db, tenders=tenders, suppliers=suppliers)
    plan_path = workdir / "plan.json"
    plan_path.write_text(json.dumps(plan))
    say(f"  prepared {tenders} tenders x {suppliers} suppliers in {time.perf_counter() - t0:.1f} s")
    server = Server(database_url, workdir / "data", workdir / "server.log")
    try:
        server.wait_ready()
        ceiling, bids = [], []
        cursor = 0
        for i in range(rounds):
            ceiling.append(
                _timed(
                    server,
                    base_url=server.base_url,
                    mode="health",
                    warmup=warmup,
                    duration=duration,
                    clients=clients,
                    client=client,
                )
            )
            r = _timed(
                server,
                base_url=server.base_url,
                mode="bids",
                warmup=warmup,
                duration=duration,
                clients=clients,
                client=client,
                plan=plan_path,
                start=cursor,
            )
            cursor = r["next_pair"]
            bids.append(r)
            say(
                f"  round {i + 1}/{rounds}: ceiling {ceiling[-1]['throughput']:.0f} req/s, "
                f"bids {r['throughput']:.0f} req/s (p99 {r['p99_ms']:.0f} ms, errors {sum(r['errors'].values())}); "
                f"server CPU {ceiling[-1]['server_cpu_ms']:.2f} / {r['server_cpu_ms']:.2f} ms per request"
            )
            if r["exhausted"]:
                say("  [yellow]ran out of (tender, supplier) pairs: raise --suppliers or --tenders[/]")
                break
    finally:
        server.stop()
    return {"ceiling": summarize(ceiling), "bids": summarize(bids), "tenders": tenders, "suppliers": suppliers}

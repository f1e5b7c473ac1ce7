"""HTTP load generator: N concurrent clients (asyncio, one keep-alive connection each) for a fixed duration.

Run by bench/run.py in its own process, so that the server and the client do not share an interpreter:

    python bench/http_load.py --base-url http://127.0.0.1:PORT --mode health --duration 5
    python bench/http_load.py --base-url ... --mode bids --plan plan.json --start 0 --duration 5

Prints one JSON object: requests, ok, errors by status (with a sample body each), throughput, p50/p99 latency, and
for bids the index of the next unused (tender, supplier) pair. Only loopback addresses are accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Request:
    """One request to send."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None


@dataclass
class Tally:
    """What one phase (warm-up or measurement) saw."""

    latencies: list[float] = field(default_factory=list)
    ok: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    samples: dict[str, str] = field(default_factory=dict)


def health_requests() -> Iterator[Request]:
    """The trivial endpoint, forever."""
    req = Request("GET", "/healthz")
    while True:
        yield req


class BidPlan:
    """Distinct (tender, supplier) pairs: each supplier may bid once per tender."""

    def __init__(self, plan: dict[str, Any], start: int) -> None:
        self.tenders: list[dict[str, str]] = plan["tenders"]
        self.tokens: list[str] = plan["tokens"]
        self.next = start

    @property
    def size(self) -> int:
        """How many pairs exist."""
        return len(self.tenders) * len(self.tokens)

    def __iter__(self) -> Iterator[Request]:
        # Consecutive requests go to different tenders, so 32 in flight do not all queue on one tender.
        while self.next < self.size:
            i = self.next
            self.next += 1
            tender = self.tenders[i % len(self.tenders)]
            token = self.tokens[i // len(self.tenders)]
            body = {
                "values": [
                    {"lot_id": tender["lot_id"], "value": {"amount": f"{800000 + i % 9973}.00", "currency": "UAH"}}
                ]
            }
            yield Request("POST", f"/api/v1/tenders/{tender['id']}/bids", {"Authorization": f"Bearer {token}"}, body)


Send = Callable[[Request], Awaitable[tuple[str, str]]]


class RawConnection:
    """One keep-alive HTTP/1.1 connection over asyncio streams: a minimal client that costs little CPU.

    httpx spends ~2 ms of CPU per request here, so on a 2-core machine it, not the server, set the pace (about
    430 req/s against a server that can do several times that); this client keeps the load generator out of
    the way. It understands exactly what uvicorn sends back: Content-Length or chunked bodies.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, req: Request) -> tuple[str, str]:
        """Send one request and read its whole response; reconnect when the server closed the connection."""
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        body = json.dumps(req.body, separators=(",", ":")).encode() if req.body is not None else b""
        lines = [f"{req.method} {req.path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in req.headers.items()]
        if req.body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status = (await self.reader.readline()).split(b" ", 2)[1].decode()
        headers: dict[bytes, bytes] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if headers.get(b"transfer-encoding") == b"chunked":
            chunks = []
            while size := int((await self.reader.readline()).strip(), 16):
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readline()
            await self.reader.readline()
            payload = b"".join(chunks)
        else:
            payload = await self.reader.readexactly(int(headers.get(b"content-length", b"0")))
        if headers.get(b"connection") == b"close":
            await self.close()
        return status, payload.decode(errors="replace")

    async def close(self) -> None:
        """Close the connection."""
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()
        self.reader = self.writer = None


def httpx_sender(client: httpx.AsyncClient) -> Send:
    """A sender over a shared httpx client (its pool holds one connection per concurrent client)."""

    async def send(req: Request) -> tuple[str, str]:
        resp = await client.request(req.method, req.path, headers=req.headers, json=req.body)
        return str(resp.status_code), resp.text

    return send


async def _worker(send: Send, source: Iterator[Request], deadline: float, expect: int, tally: Tally) -> None:
    while time.perf_counter() < deadline:
        try:
            req = next(source)
        except StopIteration:
            return
        t0 = time.perf_counter()
        try:
            status, text = await send(req)
        except (httpx.HTTPError, OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            status, text = type(exc).__name__, str(exc)
        tally.latencies.append(time.perf_counter() - t0)
        if status == str(expect):
            tally.ok += 1
        else:
            tally.errors[status] = tally.errors.get(status, 0) + 1
            tally.samples.setdefault(status, text[:300])


async def _phase(senders: list[Send], source: Iterator[Request], seconds: float, expect: int) -> tuple[Tally, float]:
    tally = Tally()
    t0 = time.perf_counter()
    deadline = t0 + seconds
    await asyncio.gather(*(_worker(send, source, deadline, expect, tally) for send in senders))
    return tally, time.perf_counter() - t0


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


async def run(
    base_url: str,
    source: Iterator[Request],
    *,
    clients: int,
    warmup: float,
    duration: float,
    expect: int,
    client: str = "raw",
) -> dict[str, Any]:
    """Warm up, then measure for ``duration`` seconds with ``clients`` concurrent requests in flight."""
    url = urlsplit(base_url)
    pool = httpx.AsyncClient(
        base_url=base_url, timeout=60.0, limits=httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    )
    raw = [RawConnection(url.hostname or "127.0.0.1", url.port or 80) for _ in range(clients)]
    senders: list[Send] = [c.send for c in raw] if client == "raw" else [httpx_sender(pool)] * clients
    try:
        warm, _ = await _phase(senders, source, warmup, expect)
        tally, elapsed = await _phase(senders, source, duration, expect)
    finally:
        await pool.aclose()
        for c in raw:
            await c.close()
    lat = sorted(tally.latencies)
    return {
        "requests": len(lat),
        "ok": tally.ok,
        "errors": tally.errors,
        "error_samples": tally.samples,
        "warmup_requests": len(warm.latencies),
        "warmup_errors": warm.errors,
        "seconds": elapsed,
        "throughput": tally.ok / elapsed if elapsed > 0 else 0.0,
        "p50_ms": percentile(lat, 50) * 1000,
        "p99_ms": percentile(lat, 99) * 1000,
        "mean_ms": (sum(lat) / len(lat) * 1000) if lat else 0.0,
        "client": client,
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: print the result as JSON on stdout."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--base-url", required=True)
    p.add_argument("--mode", choices=["health", "bids"], required=True)
    p.add_argument("--plan", type=Path, help="JSON plan of tenders and supplier tokens (bids mode)")
    p.add_argument("--start", type=int, default=0, help="index of the first unused (tender, supplier) pair")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument(
        "--client",
        choices=["raw", "httpx"],
        default="raw",
        help="raw: minimal asyncio HTTP/1.1 client (default); httpx: httpx.AsyncClient",
    )
    args = p.parse_args(argv)
    if urlsplit(args.base_url).hostname not in LOOPBACK:
        p.error("the benchmark only targets the loopback interface")
    plan: BidPlan | None = None
    if args.mode == "bids":
        if args.plan is None:
            p.error("--plan is required in bids mode")
        plan = BidPlan(json.loads(args.plan.read_text()), args.start)
        source: Iterator[Request] = iter(plan)
    else:
        source = health_requests()
    expect = 201 if args.mode == "bids" else 200
    result = asyncio.run(
        run(
            args.base_url,
            source,
            clients=args.clients,
            warmup=args.warmup,
            duration=args.duration,
            expect=expect,
            client=args.client,
        )
    )
    result["mode"], result["clients"] = args.mode, args.clients
    if plan is not None:
        result["next_pair"], result["pairs"] = plan.next, plan.size
        result["exhausted"] = plan.next >= plan.size
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

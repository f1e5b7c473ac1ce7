"""Synthetic transparency logs for the verifier's tests, built only from the transparency core and the spec.

``SyntheticLog`` appends release and disclosure entries and signs checkpoints with a test key; ``write`` lays it
out as ``quartermaster export log`` does and ``LogServer`` serves it over real loopback HTTP in the shape of the
spec's API. Commitments are computed here with hashlib, independently of ``quartermaster.verify``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from rich.console import Console

from quartermaster.transparency import MerkleTree, Signer, canonical_json, leaf_hash, sign_checkpoint
from quartermaster.verify import run

ORIGIN = "quartermaster.test/ocds-x"
Json = dict[str, Any]


def make_release(ocid: str, index: int, *, title: str = "Boots", secret: str | None = None) -> Json:
    """An OCDS-shaped release whose id is ``<ocid>-<index>``; ``secret`` adds an item the public does not see."""
    tender: Json = {"id": "t", "title": title, "value": {"amount": 1000 + index, "currency": "EUR"}}
    if secret is not None:
        tender["items"] = [{"id": "1", "description": secret}]
    return {"ocid": ocid, "id": f"{ocid}-{index}", "date": "2026-03-02T09:00:00Z", "tag": ["tender"], "tender": tender}


def commitment_hex(salt: bytes, full_release: Json) -> str:
    """hex SHA-256(salt || canonical JSON of the full release), as the spec defines ``withheld``."""
    return hashlib.sha256(salt + canonical_json(full_release)).hexdigest()


def b64(data: bytes) -> str:
    """Standard base64 text."""
    return base64.b64encode(data).decode()


@dataclass
class SyntheticLog:
    """An in-memory log: leaf inputs, the public releases of its release entries, and signed checkpoints."""

    origin: str = ORIGIN
    signer: Signer | None = None
    leaves: list[bytes] = field(default_factory=list)
    releases: list[Json] = field(default_factory=list)
    notes: dict[int, str] = field(default_factory=dict)
    secrets: dict[int, tuple[str, Json, bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.signer is None:
            self.signer = Signer.generate(self.origin)

    @property
    def key(self) -> str:
        """The verifier key string of the log's signer."""
        assert self.signer is not None
        return self.signer.verifier().key_string

    def publish(self, ocid: str, *, title: str = "Boots", withhold: str | None = None) -> int:
        """Append a release entry (with a commitment if ``withhold`` names a secret kept out of the public view)."""
        index = len(self.leaves)
        public = make_release(ocid, index, title=title)
        body: Json = {"kind": "release", "ocid": ocid, "release": public}
        if withhold is not None:
            full = make_release(ocid, index, title=title, secret=withhold)
            salt = hashlib.sha256(f"salt of entry {index}".encode()).digest()
            body["withheld"] = commitment_hex(salt, full)
            self.secrets[index] = (ocid, full, salt)
        self.leaves.append(canonical_json(body))
        self.releases.append(public)
        return index

    def disclose(self, index: int, *, release: Json | None = None, salt: bytes | None = None) -> int:
        """Append a disclosure of entry ``index`` (by default with its true full release and salt)."""
        ocid, full, true_salt = self.secrets[index]
        body = {
            "kind": "disclosure",
            "ocid": ocid,
            "discloses": index,
            "release": full if release is None else release,
            "salt": (true_salt if salt is None else salt).hex(),
        }
        self.leaves.append(canonical_json(body))
        return len(self.leaves) - 1

    def append_leaf(self, leaf_input: bytes) -> int:
        """Append raw leaf input bytes (for entries the verifier must refuse)."""
        self.leaves.append(leaf_input)
        return len(self.leaves) - 1

    def checkpoint(self) -> str:
        """Sign a checkpoint of the current size and keep it."""
        assert self.signer is not None
        note = sign_checkpoint(self.origin, len(self.leaves), self.tree().root(), self.signer)
        self.notes[len(self.leaves)] = note
        return note

    def tree(self) -> MerkleTree:
        """The Merkle tree over the current entries."""
        return MerkleTree(leaf_hash(leaf) for leaf in self.leaves)

    def entry_lines(self) -> list[str]:
        """entries.jsonl lines (with newlines)."""
        return [json.dumps({"index": i, "leaf_input": b64(leaf)}) + "\n" for i, leaf in enumerate(self.leaves)]

    def write(self, path: Path) -> Path:
        """Lay the log out as ``quartermaster export log --out path`` does."""
        (path / "checkpoints").mkdir(parents=True, exist_ok=True)
        log = {"origin": self.origin, "verifier_key": self.key, "size": len(self.leaves)}
        (path / "log.json").write_text(json.dumps(log), encoding="utf-8")
        for size, note in self.notes.items():
            (path / "checkpoints" / str(size)).write_text(note, encoding="utf-8")
        (path / "entries.jsonl").write_text("".join(self.entry_lines()), encoding="utf-8")
        releases = "".join(json.dumps(r) + "\n" for r in self.releases)
        (path / "releases.jsonl").write_text(releases, encoding="utf-8")
        return path


def standard_log(signer: Signer | None = None) -> SyntheticLog:
    """Six entries, two checkpoints (3 and 6), one withheld release disclosed and one still withheld."""
    log = SyntheticLog(signer=signer)
    log.publish("ocds-x-t1")
    log.publish("ocds-x-t2", withhold="night-vision goggles")
    log.publish("ocds-x-t1", title="Boots, amended")
    log.checkpoint()
    log.disclose(1)
    log.publish("ocds-x-t2", withhold="thermal sights")
    log.publish("ocds-x-t3")
    log.checkpoint()
    return log


Reply = tuple[int, str, bytes]
Route = Callable[[dict[str, str]], Reply]


def json_reply(value: Any, status: int = 200) -> Reply:
    """A JSON answer."""
    return status, "application/json", json.dumps(value).encode()


def problem(status: int, code: str, detail: str) -> Reply:
    """An RFC 9457 problem answer with the app's ``code`` member."""
    body = {"type": f"/problems/{code}", "title": "Not found", "status": status, "detail": detail, "code": code}
    return status, "application/problem+json", json.dumps(body).encode()


class LogServer:
    """A real HTTP server on 127.0.0.1 serving a SyntheticLog under /api/v1 in the spec's API shape.

    ``routes`` maps each API path to a function of the query parameters; tests replace one to misbehave.
    ``public_url`` is what ``links.next`` advertises (like a server configured with another public address).
    """

    def __init__(self, log: SyntheticLog, *, page: int = 1000, release_page: int = 2) -> None:
        self.log = log
        self.page = page
        self.release_page = release_page
        self.public_url = "http://public.example.invalid"
        self.requests: list[str] = []
        self.routes: dict[str, Route] = {
            "/log/key": lambda q: json_reply({"origin": self.log.origin, "verifier_key": self.log.key}),
            "/log/checkpoint": self._checkpoint,
            "/log/entries": self._entries,
            "/log/proof/inclusion": self._inclusion,
            "/log/proof/consistency": self._consistency,
            "/ocds/releases": self._releases,
        }

    def __enter__(self) -> LogServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                server.requests.append(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                route = server.routes.get(parts.path.removeprefix("/api/v1"))
                status, content_type, body = route(query) if route else problem(404, "not_found", "no such path")
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Keep test output quiet."""

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,), daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def _checkpoint(self, query: dict[str, str]) -> Reply:
        if not self.log.notes:
            return problem(404, "log.empty", "the log has no checkpoint yet")
        return 200, "text/plain; charset=utf-8", self.log.notes[max(self.log.notes)].encode()

    def _entries(self, query: dict[str, str]) -> Reply:
        start, end = int(query["start"]), int(query["end"])
        stop = min(end, len(self.log.leaves), start + self.page)
        items = [
            {"index": i, "leaf_input": b64(self.log.leaves[i]), "leaf_hash": b64(leaf_hash(self.log.leaves[i]))}
            for i in range(start, stop)
        ]
        return json_reply({"entries": items})

    def _inclusion(self, query: dict[str, str]) -> Reply:
        index, size = int(query["index"]), int(query["size"])
        tree = self.log.tree()
        proof = [b64(h) for h in tree.inclusion_proof(index, size)]
        return json_reply({"index": index, "size": size, "leaf_hash": b64(tree.leaf(index)), "proof": proof})

    def _consistency(self, query: dict[str, str]) -> Reply:
        first, second = int(query["first"]), int(query["second"])
        proof = [b64(h) for h in self.log.tree().consistency_proof(first, second)]
        return json_reply({"first": first, "second": second, "proof": proof})

    def _releases(self, query: dict[str, str]) -> Reply:
        after, limit = int(query.get("after", "-1")), int(query.get("limit", str(self.release_page)))
        rows = [r for r in self.log.releases if int(r["id"].rpartition("-")[2]) > after][:limit]
        if not rows:
            return problem(404, "ocds.no_releases", "no published releases after this cursor yet")
        package: Json = {"uri": "x", "version": "1.1", "releases": rows}
        last = int(rows[-1]["id"].rpartition("-")[2])
        package["links"] = (
            {"next": f"{self.public_url}/api/v1/ocds/releases?after={last}&limit={limit}"} if len(rows) == limit else {}
        )
        return json_reply(package)


def verify_cli(target: Path | str, state: Path, *, key: str | None = None) -> tuple[int, str]:
    """Run ``quartermaster verify`` as the CLI does; (exit code, printed text)."""
    out = io.StringIO()
    code = run(str(target), key=key, state=state, console=Console(file=out, width=80, color_system=None))
    return code, out.getvalue()

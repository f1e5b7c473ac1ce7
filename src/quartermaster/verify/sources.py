"""Where a log is read from: an export directory or a server's HTTP API (docs/transparency-spec.md).

A source only reads and decodes: it turns files and HTTP answers into typed records and raises InputError, with
one line naming the file or URL, when something cannot be read or has the wrong shape. Judging whether the log
is consistent is ``check``'s job; a source never decides that.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from quartermaster.verify.errors import InputError

PAGE = 1000
"""``/log/entries`` serves at most this many entries per call."""

_DECIMAL = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class LogInfo:
    """What a log says about itself: its origin, the verifier key it serves and, for an export, its entry count."""

    origin: str
    verifier_key: str
    size: int | None = None


@dataclass(frozen=True)
class StoredCheckpoint:
    """A signed checkpoint note as found, where it was found, and the size its file name claims (exports only)."""

    where: str
    note: bytes
    claimed_size: int | None = None


@dataclass(frozen=True)
class RawEntry:
    """One log entry as read: its index, leaf input bytes and, when the source serves one, its leaf hash."""

    where: str
    index: int
    leaf_input: bytes
    leaf_hash: bytes | None = None


@dataclass(frozen=True)
class RawRelease:
    """One published OCDS release as read (an object with a string ``id``)."""

    where: str
    release: dict[str, Any]

    @property
    def id(self) -> str:
        """The release id, ``<ocid>-<log index>`` by the spec."""
        release_id: str = self.release["id"]
        return release_id


@dataclass(frozen=True)
class InclusionProof:
    """A served inclusion proof: the leaf hash the server holds at the index, and the audit path."""

    leaf_hash: bytes
    proof: list[bytes]


class LogSource(Protocol):
    """A log to verify. Exports serve no proofs (``None``): the verifier recomputes every root from the entries."""

    description: str

    def info(self) -> LogInfo:
        """Origin, served verifier key and (exports) the declared number of entries."""

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Every checkpoint the source offers (an export: all stored; a server: the latest); [] if none yet."""

    def entries(self, end: int) -> Iterator[RawEntry]:
        """Entries from index 0 in order, up to ``end`` (an export yields all it holds, so extra ones show)."""

    def releases(self) -> Iterator[RawRelease]:
        """Every published release the source offers."""

    def inclusion_proof(self, index: int, size: int) -> InclusionProof | None:
        """The server's proof that entry ``index`` is in the tree of ``size`` entries; None if the source has none."""

    def consistency_proof(self, first: int, second: int) -> list[bytes] | None:
        """The server's proof that the tree of ``second`` entries extends that of ``first``; None if none."""

    def close(self) -> None:
        """Release connections or files."""


def open_source(target: str, *, client: httpx.Client | None = None) -> LogSource:
    """An HttpSource for an http(s) URL, a DirSource for an existing directory; InputError otherwise."""
    if target.startswith(("http://", "https://")):
        return HttpSource(target, client=client)
    path = Path(target)
    if not path.is_dir():
        raise InputError(f"{target} is neither an http(s) URL nor a directory written by 'quartermaster export log'")
    return DirSource(path)


class DirSource:
    """An export directory: log.json, checkpoints/<size>, entries.jsonl, releases.jsonl."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = str(path)

    def info(self) -> LogInfo:
        """Origin, verifier key and size from ``log.json``."""
        document = _json_object(self._read("log.json"), "log.json")
        origin, key, size = document.get("origin"), document.get("verifier_key"), document.get("size")
        if not isinstance(origin, str) or not isinstance(key, str) or type(size) is not int or size < 0:
            raise InputError(f"{self.path / 'log.json'} needs a string origin and verifier_key and a size >= 0")
        return LogInfo(origin=origin, verifier_key=key, size=size)

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Every file in ``checkpoints/``, each named by its tree size, smallest first."""
        folder = self.path / "checkpoints"
        if not folder.is_dir():
            return []
        try:
            names = [file.name for file in folder.iterdir()]
        except OSError as exc:
            raise InputError(f"cannot list {folder}: {exc.strerror or exc}") from None
        for name in names:
            if not _DECIMAL.fullmatch(name):
                raise InputError(f"{folder / name}: checkpoint files are named by tree size (decimal, no leading zero)")
        wheres = [f"checkpoints/{name}" for name in sorted(names, key=int)]
        return [StoredCheckpoint(where, self._read(where), int(where.removeprefix("checkpoints/"))) for where in wheres]

    def entries(self, end: int) -> Iterator[RawEntry]:
        """Every line of ``entries.jsonl`` (``end`` is not needed: the file is the whole log)."""
        for where, item in self._lines("entries.jsonl"):
            index, leaf_input = item.get("index"), item.get("leaf_input")
            if type(index) is not int or not isinstance(leaf_input, str):
                raise InputError(f"{where}: an entry needs an integer index and a base64 leaf_input")
            yield RawEntry(where=where, index=index, leaf_input=_b64(leaf_input, f"{where}: leaf_input"))

    def releases(self) -> Iterator[RawRelease]:
        """Every line of ``releases.jsonl``."""
        for where, item in self._lines("releases.jsonl"):
            yield _release(item, where)

    def inclusion_proof(self, index: int, size: int) -> InclusionProof | None:
        """None: an export carries no proofs (its entries give every root directly)."""
        return None

    def consistency_proof(self, first: int, second: int) -> list[bytes] | None:
        """None: an export carries no proofs (its entries give every root directly)."""
        return None

    def close(self) -> None:
        """Nothing to release: files are opened and closed per read."""

    def _read(self, name: str) -> bytes:
        try:
            return (self.path / name).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {self.path / name}: {exc.strerror or exc}") from None

    def _lines(self, name: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(``name line N``, parsed object) for each line, read lazily so memory stays flat."""
        try:
            file = (self.path / name).open("rb")
        except OSError as exc:
            raise InputError(f"cannot read {self.path / name}: {exc.strerror or exc}") from None
        with file:
            for number, line in enumerate(file, start=1):
                where = f"{name} line {number}"
                yield where, _json_object(line, where)


class HttpSource:
    """A Quartermaster server's public log API under ``<base>/api/v1`` (the suffix is added when missing)."""

    def __init__(self, base_url: str, client: httpx.Client | None = None) -> None:
        base = base_url.rstrip("/")
        self.base = base if base.endswith("/api/v1") else f"{base}/api/v1"
        self.description = self.base
        self._own_client = client is None
        self._client = client or httpx.Client(timeout=30.0, follow_redirects=True)

    def info(self) -> LogInfo:
        """``GET /log/key``."""
        url = f"{self.base}/log/key"
        document = _json_object(self._get(url).content, url)
        origin, key = document.get("origin"), document.get("verifier_key")
        if not isinstance(origin, str) or not isinstance(key, str):
            raise InputError(f"{url}: expected a string origin and verifier_key")
        return LogInfo(origin=origin, verifier_key=key)

    def checkpoints(self) -> list[StoredCheckpoint]:
        """``GET /log/checkpoint``: the latest signed checkpoint, or [] while the log is empty (``log.empty``)."""
        url = f"{self.base}/log/checkpoint"
        response = self._send(url)
        if response.status_code == 404 and _problem(response).get("code") == "log.empty":
            return []
        return [StoredCheckpoint(where=url, note=_successful(response, url).content)]

    def entries(self, end: int) -> Iterator[RawEntry]:
        """``GET /log/entries`` in pages of at most 1000; stops early if the server has no more (``log.no_entries``)."""
        start = 0
        while start < end:
            stop = min(start + PAGE, end)
            url = f"{self.base}/log/entries?start={start}&end={stop}"
            response = self._send(url)
            if response.status_code == 404 and _problem(response).get("code") == "log.no_entries":
                return
            items = _json_object(_successful(response, url).content, url).get("entries")
            if not isinstance(items, list) or len(items) > stop - start:
                raise InputError(f"{url}: expected a list of at most {stop - start} entries")
            for position, item in enumerate(items):
                yield self._entry(item, f"{url} item {position}")
            if not items:
                return
            start += len(items)

    def releases(self) -> Iterator[RawRelease]:
        """``GET /ocds/releases`` and every page after it through ``links.next`` (404 ``ocds.no_releases``: no more)."""
        url = f"{self.base}/ocds/releases"
        seen = {url}
        while True:
            response = self._send(url)
            if response.status_code == 404 and _problem(response).get("code") == "ocds.no_releases":
                return
            package = _json_object(_successful(response, url).content, url)
            releases, links = package.get("releases"), package.get("links", {})
            if not isinstance(releases, list) or not isinstance(links, dict):
                raise InputError(f"{url}: expected an OCDS release package with a releases list")
            for position, item in enumerate(releases):
                yield _release(item, f"{url} release {position}")
            following = links.get("next")
            if following is None:
                return
            if not isinstance(following, str):
                raise InputError(f"{url}: links.next is not a URL")
            # Keep the cursor of links.next but stay on the API we were given: a server advertises its configured
            # public URL, which need not be the address this verifier reaches it at.
            url = f"{self.base}/ocds/releases?{httpx.URL(following).query.decode()}"
            if url in seen:
                raise InputError(f"{url}: links.next leads back to a page already read")
            seen.add(url)

    def inclusion_proof(self, index: int, size: int) -> InclusionProof:
        """``GET /log/proof/inclusion?index=I&size=N``."""
        url = f"{self.base}/log/proof/inclusion?index={index}&size={size}"
        document = _json_object(self._get(url).content, url)
        if document.get("index") != index or document.get("size") != size:
            raise InputError(f"{url}: the proof is not for index {index} and size {size}")
        leaf_hash = document.get("leaf_hash")
        if not isinstance(leaf_hash, str):
            raise InputError(f"{url}: leaf_hash is not a base64 string")
        return InclusionProof(_b64(leaf_hash, f"{url}: leaf_hash"), _hashes(document.get("proof"), url))

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """``GET /log/proof/consistency?first=M&second=N``."""
        url = f"{self.base}/log/proof/consistency?first={first}&second={second}"
        document = _json_object(self._get(url).content, url)
        if document.get("first") != first or document.get("second") != second:
            raise InputError(f"{url}: the proof is not for sizes {first} and {second}")
        return _hashes(document.get("proof"), url)

    def opening_record(self, tender_id: str) -> dict[str, Any]:
        """``GET /tenders/{id}/opening``: the published opening key and every sealed bid of an opened tender."""
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", tender_id):
            raise InputError(f"{tender_id!r} is not a tender id")
        url = f"{self.base}/tenders/{tender_id}/opening"
        return _json_object(self._get(url).content, url)

    def sealed_document(self, url: str) -> bytes | None:
        """A sealed bid document's bytes from an opening record's ``/api/v1/documents/{id}/content``; None when this
        reader may not read it (404: a confidential document) or the server withholds it (409: its stored bytes fail
        the server's own check)."""
        found = re.fullmatch(r"/api/v1/documents/([A-Za-z0-9_-]{1,64})/content", url)
        if found is None:
            raise InputError(f"{url!r} is not a document's content URL")
        full = f"{self.base}/documents/{found.group(1)}/content"
        response = self._send(full)
        if response.status_code in (404, 409):
            return None
        return _successful(response, full).content

    def close(self) -> None:
        """Close the HTTP client if this source made it."""
        if self._own_client:
            self._client.close()

    def _send(self, url: str) -> httpx.Response:
        """GET ``url``; InputError if the request fails in transport (any status is returned)."""
        try:
            return self._client.get(url, headers={"Accept": "application/json, text/plain"})
        except httpx.HTTPError as exc:
            raise InputError(f"GET {url} failed: {exc or type(exc).__name__}") from None

    def _get(self, url: str) -> httpx.Response:
        """GET ``url``; InputError for a transport failure or an error status (naming the problem's detail)."""
        return _successful(self._send(url), url)

    @staticmethod
    def _entry(item: Any, where: str) -> RawEntry:
        if not isinstance(item, dict):
            raise InputError(f"{where}: an entry is a JSON object")
        index, leaf_input, leaf_hash = item.get("index"), item.get("leaf_input"), item.get("leaf_hash")
        if type(index) is not int or not isinstance(leaf_input, str) or not isinstance(leaf_hash, str):
            raise InputError(f"{where}: an entry needs an integer index and base64 leaf_input and leaf_hash")
        return RawEntry(where, index, _b64(leaf_input, f"{where}: leaf_input"), _b64(leaf_hash, f"{where}: leaf_hash"))


def _json_object(data: bytes, where: str) -> dict[str, Any]:
    """Parse ``data`` as a JSON object; InputError naming ``where`` otherwise."""
    try:
        value = json.loads(data)
    except ValueError:
        raise InputError(f"{where} is not JSON") from None
    if not isinstance(value, dict):
        raise InputError(f"{where} is not a JSON object")
    return value


def _successful(response: httpx.Response, url: str) -> httpx.Response:
    """``response`` if its status is 2xx; InputError naming the status and the problem's detail otherwise."""
    if response.is_success:
        return response
    problem = _problem(response)
    detail = problem.get("detail") or problem.get("title") or response.reason_phrase
    raise InputError(f"GET {url} answered {response.status_code}: {detail}")


def _release(item: Any, where: str) -> RawRelease:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        raise InputError(f"{where}: a release is a JSON object with a string id")
    return RawRelease(where, item)


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error, or a non-ASCII string
        raise InputError(f"{what} is not standard base64") from None


def _hashes(value: Any, url: str) -> list[bytes]:
    if not isinstance(value, list) or not all(isinstance(h, str) for h in value):
        raise InputError(f"{url}: proof is not a list of base64 hashes")
    return [_b64(h, f"{url}: proof hash") for h in value]


def _problem(response: httpx.Response) -> dict[str, Any]:
    """The RFC 9457 problem object of an error response, or {} if the body is not one."""
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}

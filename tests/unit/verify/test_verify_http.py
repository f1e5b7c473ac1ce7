"""`quartermaster verify URL` against a real loopback HTTP server speaking the spec's API (no mocked transport)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from synthetic_log import (
    ORIGIN,
    LogServer,
    Reply,
    SyntheticLog,
    b64,
    json_reply,
    problem,
    standard_log,
    verify_cli,
)

from quartermaster.transparency import Signer
from quartermaster.verify import HttpSource, InputError, open_source, read_state, verify


@pytest.fixture
def log() -> SyntheticLog:
    """The standard six-entry log with checkpoints 3 and 6."""
    return standard_log()


@pytest.fixture
def server(log: SyntheticLog) -> Iterator[LogServer]:
    """The log served on 127.0.0.1."""
    with LogServer(log) as running:
        yield running


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """A fresh state file path."""
    return tmp_path / "verify.json"


def recorded_size(state: Path) -> int:
    """The tree size the state file records for the test origin."""
    recorded = read_state(state, ORIGIN)
    assert recorded is not None
    return recorded.size


def one_line(output: str) -> str:
    """The single line printed (failing if there are more)."""
    lines = output.splitlines()
    assert len(lines) == 1, output
    return lines[0]


def test_a_good_log_passes_with_an_inclusion_proof_for_every_release(
    log: SyntheticLog, server: LogServer, state: Path
) -> None:
    code, output = verify_cli(server.url, state)
    assert code == 0
    assert output.splitlines()[0] == (
        f"ok: verified 6 entries, checkpoint size 6 root {b64(log.tree().root())}, 5 releases included"
    )
    proofs = sorted(r for r in server.requests if r.startswith("/api/v1/log/proof/inclusion"))
    assert proofs == [f"/api/v1/log/proof/inclusion?index={i}&size=6" for i in (0, 1, 2, 4, 5)]
    pages = [r for r in server.requests if r.startswith("/api/v1/ocds/releases")]
    # links.next names another host (the server's public URL): its cursor is followed on the API given.
    assert pages == [
        "/api/v1/ocds/releases",
        "/api/v1/ocds/releases?after=1&limit=2",
        "/api/v1/ocds/releases?after=4&limit=2",
    ]
    assert recorded_size(state) == 6


@pytest.mark.parametrize("suffix", ["/", "/api/v1", "/api/v1/"])
def test_the_api_prefix_may_be_given_or_left_out(server: LogServer, state: Path, suffix: str) -> None:
    assert verify_cli(server.url + suffix, state)[0] == 0


def test_a_full_last_page_ends_at_the_servers_no_releases_answer(server: LogServer, state: Path) -> None:
    server.release_page = 5
    assert verify_cli(server.url, state)[0] == 0
    assert [r for r in server.requests if r.startswith("/api/v1/ocds/releases")] == [
        "/api/v1/ocds/releases",
        "/api/v1/ocds/releases?after=5&limit=5",
    ]


def test_a_log_without_releases_verifies(state: Path) -> None:
    log = SyntheticLog()
    log.checkpoint()
    with LogServer(log) as server:
        code, output = verify_cli(server.url, state)
    assert code == 0
    assert "0 releases included" in output


def test_entries_are_paged_by_a_thousand(state: Path) -> None:
    log = SyntheticLog()
    for i in range(1100):
        log.publish(f"ocds-x-t{i}")
    log.checkpoint()
    with LogServer(log) as server:
        server.routes["/ocds/releases"] = lambda q: problem(404, "ocds.no_releases", "none")
        assert verify_cli(server.url, state)[0] == 0
    entries = [r for r in server.requests if r.startswith("/api/v1/log/entries")]
    assert entries == ["/api/v1/log/entries?start=0&end=1000", "/api/v1/log/entries?start=1000&end=1100"]


def test_a_server_with_smaller_pages_is_read_to_the_end(log: SyntheticLog, state: Path) -> None:
    with LogServer(log, page=4) as server:
        assert verify_cli(server.url, state)[0] == 0
    entries = [r for r in server.requests if r.startswith("/api/v1/log/entries")]
    assert entries == ["/api/v1/log/entries?start=0&end=6", "/api/v1/log/entries?start=4&end=6"]


def test_a_server_missing_entries_of_its_checkpoint_is_detected(log: SyntheticLog, state: Path) -> None:
    del log.leaves[4:]
    with LogServer(log) as server:
        code, output = verify_cli(server.url, state)
    assert (code, one_line(output)) == (1, "inconsistent: the log holds only 4 entries, but checkpoint 6 declares 6")


def test_a_server_answering_no_entries_past_its_end_holds_fewer_than_its_checkpoint(
    log: SyntheticLog, state: Path
) -> None:
    del log.leaves[4:]
    with LogServer(log, page=4) as server:
        honest = server.routes["/log/entries"]
        server.routes["/log/entries"] = lambda q: (
            problem(404, "log.no_entries", "no log entries at 4 or after") if q.get("start") == "4" else honest(q)
        )
        code, output = verify_cli(server.url, state)
    assert (code, one_line(output)) == (1, "inconsistent: the log holds only 4 entries, but checkpoint 6 declares 6")


def test_a_served_leaf_hash_that_is_not_the_hash_of_the_leaf_is_detected(server: LogServer, state: Path) -> None:
    honest = server.routes["/log/entries"]

    def lying(query: dict[str, str]) -> Reply:
        document = json.loads(honest(query)[2])
        document["entries"][2]["leaf_hash"] = b64(bytes(32))
        return json_reply(document)

    server.routes["/log/entries"] = lying
    code, output = verify_cli(server.url, state)
    assert code == 1
    assert one_line(output).startswith("inconsistent: entry 2: leaf hash recomputed from the leaf input is ")
    assert one_line(output).endswith(f"but the log serves {b64(bytes(32))}")


def test_an_inclusion_proof_that_does_not_verify_is_detected(server: LogServer, state: Path) -> None:
    honest = server.routes["/log/proof/inclusion"]

    def lying(query: dict[str, str]) -> Reply:
        document = json.loads(honest(query)[2])
        document["proof"] = document["proof"][:-1]
        return json_reply(document)

    server.routes["/log/proof/inclusion"] = lying
    code, output = verify_cli(server.url, state)
    assert (code, one_line(output)) == (
        1,
        "inconsistent: release ocds-x-t1-0: the inclusion proof of entry 0 in checkpoint 6 does not verify "
        "(proof has fewer hashes than leaf 0 of a tree of size 6 needs)",
    )


def test_an_inclusion_proof_for_another_leaf_is_detected(log: SyntheticLog, server: LogServer, state: Path) -> None:
    honest = server.routes["/log/proof/inclusion"]

    def lying(query: dict[str, str]) -> Reply:
        document = json.loads(honest(query)[2])
        document["leaf_hash"] = b64(log.tree().leaf(5))
        return json_reply(document)

    server.routes["/log/proof/inclusion"] = lying
    code, output = verify_cli(server.url, state)
    assert (code, one_line(output)) == (
        1,
        f"inconsistent: release ocds-x-t1-0: the inclusion proof is for leaf hash {b64(log.tree().leaf(5))}, "
        f"but entry 0 hashes to {b64(log.tree().leaf(0))}",
    )


def test_a_release_served_but_not_in_the_log_is_detected(log: SyntheticLog, server: LogServer, state: Path) -> None:
    log.releases[3] = {**log.releases[3], "tag": ["award"]}
    code, output = verify_cli(server.url, state)
    assert (code, one_line(output)) == (
        1,
        "inconsistent: release ocds-x-t2-4 is not in the log: entry 4 holds a different release",
    )


def test_a_release_newer_than_the_checkpoint_is_counted_not_proven(
    log: SyntheticLog, server: LogServer, state: Path
) -> None:
    log.publish("ocds-x-t4")  # sequenced, not yet in a signed checkpoint
    code, output = verify_cli(server.url, state)
    assert code == 0
    assert output.splitlines()[0].endswith("5 releases included (1 release newer than the checkpoint, not yet covered)")
    assert "/api/v1/log/proof/inclusion?index=6&size=6" not in server.requests


def test_a_log_that_grew_is_checked_with_a_consistency_proof(state: Path) -> None:
    log = SyntheticLog()
    for i in range(3):
        log.publish(f"ocds-x-t{i}")
    log.checkpoint()
    with LogServer(log) as server:
        assert verify_cli(server.url, state)[0] == 0
        for i in range(3, 7):
            log.publish(f"ocds-x-t{i}")
        log.checkpoint()
        assert verify_cli(server.url, state)[0] == 0
        assert "/api/v1/log/proof/consistency?first=3&second=7" in server.requests
    assert recorded_size(state) == 7


def fork_pair() -> tuple[SyntheticLog, SyntheticLog]:
    """Two logs of one origin and key whose first three entries differ (one for each reader)."""
    signer = Signer.generate(ORIGIN)
    a, b = SyntheticLog(signer=signer), SyntheticLog(signer=signer)
    for i in range(3):
        a.publish(f"ocds-x-a{i}")
        b.publish(f"ocds-x-b{i}")
    a.checkpoint()
    return a, b


def test_a_fork_shown_to_the_same_reader_fails_the_consistency_proof(tmp_path: Path, state: Path) -> None:
    a, b = fork_pair()
    for i in range(3, 7):
        b.publish(f"ocds-x-b{i}")
    b.checkpoint()
    with LogServer(a) as first:
        assert verify_cli(first.url, state)[0] == 0
    with LogServer(b) as second:
        code, output = verify_cli(second.url, state)
    assert (code, one_line(output)) == (
        1,
        "inconsistent: checkpoint 7 is not consistent with the checkpoint of size 3 seen before (fork or rewrite): "
        "consistency proof does not reproduce the root of size 3",
    )
    assert recorded_size(state) == 3


def test_a_fork_at_the_same_size_is_detected(state: Path) -> None:
    a, b = fork_pair()
    b.checkpoint()
    with LogServer(a) as first:
        assert verify_cli(first.url, state)[0] == 0
    with LogServer(b) as second:
        code, output = verify_cli(second.url, state)
        assert (code, one_line(output)) == (
            1,
            f"inconsistent: {second.url}/api/v1/log/checkpoint: checkpoint 3 has root {b64(b.tree().root())}, "
            f"but the checkpoint of size 3 seen before has root {b64(a.tree().root())} (fork)",
        )


def test_a_rollback_is_detected(log: SyntheticLog, server: LogServer, state: Path) -> None:
    assert verify_cli(server.url, state)[0] == 0
    del log.notes[6]
    code, output = verify_cli(server.url, state)
    assert (code, one_line(output)) == (
        1,
        "inconsistent: checkpoint 3 is smaller than the checkpoint of size 6 seen before (rollback or fork)",
    )


def test_an_empty_log_has_nothing_to_verify(state: Path) -> None:
    with LogServer(SyntheticLog()) as server:
        code, output = verify_cli(server.url, state)
    assert (code, one_line(output)) == (2, "error: the log has no signed checkpoint yet: there is nothing to verify")


def test_a_malformed_served_key_on_first_use_is_an_input_error(server: LogServer, state: Path) -> None:
    server.routes["/log/key"] = lambda q: json_reply({"origin": ORIGIN, "verifier_key": "not a key"})
    code, output = verify_cli(server.url, state)
    assert (code, one_line(output)) == (
        2,
        "error: the log serves a malformed verifier key (key ID must be 8 hex digits)",
    )


def test_an_unreachable_server_is_an_input_error(state: Path) -> None:
    with LogServer(SyntheticLog()) as server:
        url = server.url
    code, output = verify_cli(url, state)
    assert code == 2
    assert one_line(output).startswith(f"error: GET {url}/api/v1/log/key failed: ")


def test_open_source_picks_http_for_urls_and_refuses_what_is_neither(tmp_path: Path) -> None:
    source = open_source("https://qm.example")
    assert isinstance(source, HttpSource)
    assert source.base == "https://qm.example/api/v1"
    source.close()
    with pytest.raises(InputError, match="is neither an http"):
        open_source(str(tmp_path / "missing"))


def test_a_given_client_is_used_and_left_open(server: LogServer, state: Path) -> None:
    with httpx.Client() as client:
        source = HttpSource(server.url, client=client)
        assert verify(source, key=None, state_path=state).checkpoint.size == 6
        source.close()
        assert not client.is_closed


def answer(status: int, body: bytes, content_type: str = "application/json") -> Reply:
    return status, content_type, body


@pytest.mark.parametrize(
    ("route", "reply", "error"),
    [
        ("/log/key", answer(500, b"{}"), "/log/key answered 500: Internal Server Error"),
        ("/log/key", problem(503, "busy", "try later"), "/log/key answered 503: try later"),
        ("/log/key", answer(200, b"<html>"), "/log/key is not JSON"),
        ("/log/key", answer(200, b"[]"), "/log/key is not a JSON object"),
        ("/log/key", answer(200, b'{"origin": 1}'), "/log/key: expected a string origin and verifier_key"),
        ("/log/checkpoint", problem(404, "not_found", "no such path"), "/log/checkpoint answered 404: no such path"),
        ("/log/checkpoint", answer(404, b"gone", "text/plain"), "/log/checkpoint answered 404: Not Found"),
        ("/log/entries", answer(200, b'{"entries": {}}'), "expected a list of at most 6 entries"),
        ("/log/entries", answer(200, b'{"entries": [1, 2, 3, 4, 5, 6, 7]}'), "expected a list of at most 6 entries"),
        ("/log/entries", answer(200, b'{"entries": [1]}'), "item 0: an entry is a JSON object"),
        ("/log/entries", answer(200, b'{"entries": [{"index": 0}]}'), "item 0: an entry needs an integer index"),
        (
            "/log/entries",
            answer(200, b'{"entries": [{"index": 0, "leaf_input": "!", "leaf_hash": ""}]}'),
            "item 0: leaf_input is not standard base64",
        ),
        ("/ocds/releases", answer(200, b'{"releases": {}}'), "expected an OCDS release package"),
        ("/ocds/releases", answer(200, b'{"releases": [], "links": []}'), "expected an OCDS release package"),
        ("/ocds/releases", answer(200, b'{"releases": [{"id": 5}]}'), "release 0: a release is a JSON object with"),
        ("/ocds/releases", answer(200, b'{"releases": [], "links": {"next": 5}}'), "links.next is not a URL"),
        (
            "/ocds/releases",
            answer(200, b'{"releases": [], "links": {"next": "/api/v1/ocds/releases?after=1"}}'),
            "links.next leads back to a page already read",
        ),
        ("/ocds/releases", problem(404, "not_found", "nope"), "/ocds/releases answered 404: nope"),
    ],
)
def test_a_misbehaving_server_is_an_input_error_naming_the_url(
    server: LogServer, state: Path, route: str, reply: Reply, error: str
) -> None:
    server.routes[route] = lambda q: reply
    code, output = verify_cli(server.url, state)
    assert code == 2
    assert one_line(output).startswith("error: ")
    assert error in one_line(output)


@pytest.mark.parametrize(
    ("route", "document", "error"),
    [
        ("/log/proof/inclusion", {"index": 1, "size": 6, "leaf_hash": "", "proof": []}, "not for index 0 and size 6"),
        ("/log/proof/inclusion", {"index": 0, "size": 6, "leaf_hash": 1, "proof": []}, "leaf_hash is not a base64"),
        ("/log/proof/inclusion", {"index": 0, "size": 6, "leaf_hash": "", "proof": "x"}, "proof is not a list"),
        ("/log/proof/inclusion", {"index": 0, "size": 6, "leaf_hash": "", "proof": [1]}, "proof is not a list"),
        ("/log/proof/inclusion", {"index": 0, "size": 6, "leaf_hash": "", "proof": ["@"]}, "proof hash is not"),
        ("/log/proof/consistency", {"first": 3, "second": 5, "proof": []}, "not for sizes 3 and 6"),
    ],
)
def test_a_malformed_proof_is_an_input_error(
    log: SyntheticLog, server: LogServer, state: Path, route: str, document: dict[str, object], error: str
) -> None:
    if route == "/log/proof/consistency":
        with LogServer(SyntheticLog(signer=log.signer, leaves=log.leaves[:3], notes={3: log.notes[3]})) as older:
            assert verify_cli(older.url, state)[0] == 0
    server.routes[route] = lambda q: json_reply(document)
    code, output = verify_cli(server.url, state)
    assert code == 2
    assert error in one_line(output)


def test_a_checkpoint_note_is_read_as_served(log: SyntheticLog, server: LogServer) -> None:
    source = HttpSource(server.url)
    (stored,) = source.checkpoints()
    assert (stored.where, stored.note, stored.claimed_size) == (
        f"{server.url}/api/v1/log/checkpoint",
        log.notes[6].encode(),
        None,
    )
    proof = source.inclusion_proof(4, 6)
    assert proof.leaf_hash == log.tree().leaf(4)
    assert proof.proof == log.tree().inclusion_proof(4, 6)
    assert source.consistency_proof(3, 6) == log.tree().consistency_proof(3, 6)
    source.close()

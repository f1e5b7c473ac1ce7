"""The upload size limit: declared or streamed, an oversize upload is refused with 413 and stores nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from quartermaster.config import Settings
from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.flows import Flow, ok
from support.world import World

LIMIT = 4096


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """An app whose uploads may not exceed LIMIT bytes."""
    return Settings(data_dir=tmp_path, run_scheduler=False, max_upload_bytes=LIMIT)


def blob_files(settings: Settings) -> list[Path]:
    root = settings.resolved_blob_dir()
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def post(client: TestClient, world: World, tender_id: str, content: bytes | Iterator[bytes]) -> dict:
    resp = client.post(
        f"/api/v1/tenders/{tender_id}/documents",
        content=content,
        params={"title": "Drawing", "document_type": "technicalSpecifications"},
        headers={**world["buyer"].headers, "Content-Type": "image/png"},
    )
    return {"status": resp.status_code, "type": resp.headers["Content-Type"], "body": resp.json()}


def test_an_upload_at_the_limit_is_accepted(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    tid = Flow(client, world, clock, database).create()["id"]
    got = post(client, world, tid, b"x" * LIMIT)
    assert got["status"] == 201
    assert got["body"]["size"] == LIMIT


def test_a_declared_oversize_upload_is_refused_with_413(
    client: TestClient, world: World, clock: FixedClock, database: Database, settings: Settings
) -> None:
    tid = Flow(client, world, clock, database).create()["id"]
    got = post(client, world, tid, b"x" * (LIMIT + 1))
    assert (got["status"], got["type"], got["body"]["code"]) == (413, "application/problem+json", "request.too_large")
    assert blob_files(settings) == []
    assert ok(client.get(f"/api/v1/tenders/{tid}/documents", headers=world["buyer"].headers))["data"] == []


def test_a_streamed_oversize_upload_without_length_is_cut_off_with_413(
    client: TestClient, world: World, clock: FixedClock, database: Database, settings: Settings
) -> None:
    tid = Flow(client, world, clock, database).create()["id"]

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"y" * 1000

    got = post(client, world, tid, chunks())
    assert (got["status"], got["type"], got["body"]["code"]) == (413, "application/problem+json", "request.too_large")
    assert blob_files(settings) == []
    assert ok(client.get(f"/api/v1/tenders/{tid}/documents", headers=world["buyer"].headers))["data"] == []


def test_json_bodies_keep_the_small_limit(client: TestClient, world: World) -> None:
    big = {"title": "x" * (3 * 1024 * 1024)}
    resp = client.post("/api/v1/plans", json=big, headers=world["buyer"].headers)
    assert resp.status_code == 413

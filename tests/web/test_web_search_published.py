"""The public search lists only tenders that were published: a draft cancelled before it was ever published has no
publication date, shows in no result, no count and no buyer choice, and cannot break the page (it once gave a 500)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from quartermaster.db.tx import Database
from quartermaster.tenders.models import Tender
from quartermaster.types import FixedClock
from support.flows import Flow, ok
from support.world import World


def test_a_draft_cancelled_before_publication_is_not_public(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    flow = Flow(client, world, clock, database)
    shown = flow.create(title="Field radios")
    flow.publish(shown["id"])
    hidden = flow.create(title="Abandoned idea")
    ok(
        client.post(
            f"/api/v1/tenders/{hidden['id']}/cancel",
            json={"reason": "not needed after all"},
            headers={**flow.h("approver"), "If-Match": f'"v{hidden["version"]}"'},
        )
    )
    with database.unit_of_work(write=False) as s:
        cancelled = s.get(Tender, hidden["id"])
        assert cancelled is not None
        assert cancelled.status == "cancelled"
        assert cancelled.published_at is None

    for query in ("", "?status=cancelled", "?q=Abandoned", f"?buyer={world.buyer_org}"):
        for headers in ({"Accept-Language": "en"}, {"Accept-Language": "en", "HX-Request": "true"}):
            page = client.get(f"/tenders{query}", headers=headers)
            assert page.status_code == 200, (query, page.text[:500])
            assert "Abandoned idea" not in page.text
    everything = client.get("/tenders", headers={"Accept-Language": "en"})
    assert "Field radios" in everything.text
    assert "1 tender found" in everything.text
    nothing = client.get("/tenders?status=cancelled", headers={"Accept-Language": "en"})
    assert "0 tenders found" in nothing.text

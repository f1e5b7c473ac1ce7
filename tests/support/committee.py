"""Committees in tests: enrol people's keys (kept in the test, as a person keeps their key file) and appoint them."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from quartermaster.client import PersonKeys, new_keys, open_my_share
from support.flows import Flow, ok

MEMBERS = ("evaluator", "evaluator2", "approver2")


def enrol(client: TestClient, headers: dict[str, str]) -> PersonKeys:
    """Fresh keys for the person behind ``headers``, enrolled with proof of possession, and their interests declared
    (an identifier of their own, no past employers)."""
    keys = new_keys()
    me = ok(client.get("/api/v1/me", headers=headers))
    ok(client.put("/api/v1/me/keys", json=keys.enrolment(me["user_id"]), headers=headers))
    interests = {"national_id": f"ID-{me['user_id']}", "past_employers": []}
    ok(client.put("/api/v1/me/interests", json=interests, headers=headers))
    return keys


class Committee:
    """A tender's committee as the test drives it: each member's key file stays here, never with the server."""

    def __init__(self, f: Flow, members: tuple[str, ...] = MEMBERS) -> None:
        self.f, self.members = f, members
        self.keys = {who: enrol(f.c, f.h(who)) for who in members}

    def appoint(self, tender_id: str, threshold: int = 2, who: str = "buyer") -> dict[str, Any]:
        """Appoint the members (the first is chair) to a draft tender."""
        body = {
            "threshold": threshold,
            "members": [
                {"user_id": self.f.w[m].actor.user_id, "role": "chair" if i == 0 else "member"}
                for i, m in enumerate(self.members)
            ],
        }
        return ok(self.f.c.put(f"/api/v1/tenders/{tender_id}/committee", json=body, headers=self.f.h(who)))  # type: ignore[no-any-return]

    def share_of(self, tender_id: str, who: str) -> str:
        """The member opens their sealed share on their own side."""
        mine = ok(self.f.c.get(f"/api/v1/tenders/{tender_id}/opening-key/my-share", headers=self.f.h(who)))
        return open_my_share(self.keys[who], mine["sealed_share"], self.f.w[who].actor.user_id)

    def declare(self, tender_id: str, who: str) -> None:
        """The member declares no conflict of interest with any bidder they have not declared about yet."""
        listed = self.f.c.get(f"/api/v1/tenders/{tender_id}/committee/bidders", headers=self.f.h(who))
        if listed.status_code != 200:  # recused, or bidding still open: the release will say why
            return
        todo = [{"supplier_id": b["supplier_id"], "conflict": False} for b in listed.json() if not b["declared"]]
        if todo:
            body = {"declarations": todo}
            ok(self.f.c.post(f"/api/v1/tenders/{tender_id}/committee/declarations", json=body, headers=self.f.h(who)))

    def release(self, tender_id: str, who: str, *, declare: bool = True) -> Any:
        """The member declares (unless told not to) and releases their share; returns the raw response."""
        if declare:
            self.declare(tender_id, who)
        body = {"share": self.share_of(tender_id, who)}
        return self.f.c.post(f"/api/v1/tenders/{tender_id}/opening-key/shares", json=body, headers=self.f.h(who))

"""Committee and opening-key endpoints."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.api.deps import Cmd, CurrentActor, MaybeActor, ReadSession, State
from quartermaster.bids import service as bid_service
from quartermaster.bids.models import WITHDRAWN, Bid
from quartermaster.committees import interests, scoring, service
from quartermaster.committees.models import Committee, KeyShare, OpeningKey
from quartermaster.committees.schemas import (
    AssessmentsRead,
    BidderForMember,
    CommitteeIn,
    CommitteeRead,
    ConsolidationRead,
    DeclarationRead,
    DeclarationsIn,
    DeclarationsRead,
    InterestsIn,
    InterestsRead,
    MemberRead,
    MyShareRead,
    OpenedBid,
    OpenedDocumentRecord,
    OpenedValue,
    OpeningKeyRead,
    OpeningRecord,
    PeopleIn,
    PeopleRead,
    PersonRead,
    Recusal,
    ScoreRead,
    ScoresIn,
    ShareRelease,
)
from quartermaster.documents import opening as document_opening
from quartermaster.errors import Conflict, NotFound, PermissionDenied
from quartermaster.identity.models import Organization
from quartermaster.tenders import access
from quartermaster.tenders import models as tm
from quartermaster.tenders import service as tenders

router = APIRouter(prefix="/api/v1", tags=["committees"])


def committee_read(committee: Committee) -> CommitteeRead:
    """CommitteeRead from a row."""
    return CommitteeRead(
        tender_id=committee.tender_id,
        threshold=committee.threshold,
        appointed_by=committee.appointed_by,
        appointed_at=committee.appointed_at,
        members=[MemberRead.model_validate(m) for m in committee.members],
    )


def opening_key_read(key: OpeningKey, shares: list[KeyShare]) -> OpeningKeyRead:
    """OpeningKeyRead from a row and its shares."""
    return OpeningKeyRead(
        tender_id=key.tender_id,
        mode=key.mode,
        public_key=key.public_key,
        threshold=key.threshold,
        shares=key.shares,
        shares_released=sum(1 for s in shares if s.released_at is not None),
        issued_at=key.issued_at,
        released_private_key=key.released_private_key,
        opened_at=key.opened_at,
    )


@router.put("/tenders/{tender_id}/committee", response_model=CommitteeRead, summary="Appoint the committee")
def appoint_committee(tender_id: str, body: CommitteeIn, cmd: Cmd) -> Response:
    """While the tender is a draft: members hold the opening key's shares from publication on."""
    members = [service.Appointment(m.user_id, m.role) for m in body.members]
    return cmd.run(
        lambda s, now: committee_read(
            service.appoint_committee(
                s, actor=cmd.actor, now=now, tender_id=tender_id, members=members, threshold=body.threshold
            )
        )
    )


@router.get("/tenders/{tender_id}/committee", response_model=CommitteeRead, summary="The evaluation committee")
def get_committee(tender_id: str, actor: CurrentActor, session: ReadSession) -> CommitteeRead:
    """To the buyer's own staff, auditors and reviewers."""
    tender = tenders.get_tender(session, tender_id, actor=actor)
    if actor.role not in (Role.AUDITOR, Role.REVIEWER) and actor.organization_id != tender.buyer_id:
        raise PermissionDenied("the committee is shown to the buyer's staff and overseers", code="committee.hidden")
    committee = service.get_committee(session, tender.id)
    if committee is None:
        raise NotFound("no committee has been appointed", code="committee.not_found")
    return committee_read(committee)


@router.post("/tenders/{tender_id}/committee/recusal", response_model=CommitteeRead, summary="Recuse myself")
def recuse(tender_id: str, body: Recusal, cmd: Cmd) -> Response:
    """A member steps down with a reason (before releasing a share); the reason is kept, its digest logged."""
    return cmd.run(
        lambda s, now: committee_read(
            service.recuse(s, actor=cmd.actor, now=now, tender_id=tender_id, reason=body.reason)
        )
    )


@router.get("/tenders/{tender_id}/opening-key", response_model=OpeningKeyRead, summary="The tender's opening key")
def get_opening_key(tender_id: str, actor: MaybeActor, session: ReadSession, state: State) -> OpeningKeyRead:
    """The public key suppliers seal their bids to; after opening, also the private key, for anyone to re-open."""
    key = service.get_opening_key(session, actor=actor, tender_id=tender_id)
    access.require_view(session, actor, tender_id, ocid_prefix=state.settings.ocid_prefix)
    return opening_key_read(key, service.shares_of(session, key.tender_id))


@router.get("/tenders/{tender_id}/opening-key/my-share", response_model=MyShareRead, summary="My sealed share")
def my_share(tender_id: str, actor: CurrentActor, session: ReadSession) -> MyShareRead:
    """The caller's share, sealed to their custody key; only they can open it."""
    share = service.my_share(session, actor=actor, tender_id=tender_id)
    return MyShareRead(
        tender_id=share.tender_id, index=share.index, sealed_share=share.sealed_share, released_at=share.released_at
    )


@router.post("/tenders/{tender_id}/opening-key/shares", response_model=OpeningKeyRead, summary="Release my share")
def release_share(tender_id: str, body: ShareRelease, cmd: Cmd) -> Response:
    """Once bidding has closed: k released shares let the committee open the bids."""

    def go(s, now):  # type: ignore[no-untyped-def]
        service.release_share(
            s,
            actor=cmd.actor,
            now=now,
            tender_id=tender_id,
            share_text=body.share,
            bidders=bid_service.bidders(s, tender_id),
        )
        key = service.opening_key_row(s, tender_id)
        assert key is not None
        return opening_key_read(key, service.shares_of(s, tender_id))

    return cmd.run(go)


@router.get("/tenders/{tender_id}/opening", response_model=OpeningRecord, summary="The opening record")
def opening_record(tender_id: str, actor: MaybeActor, session: ReadSession, state: State) -> OpeningRecord:
    """After the opening: the opening private key and every sealed bid's envelope, commitment and outcome."""
    key = service.get_opening_key(session, actor=actor, tender_id=tender_id)
    access.require_view(session, actor, tender_id, ocid_prefix=state.settings.ocid_prefix)
    if key.released_private_key is None or key.opened_at is None:
        raise NotFound("the bids have not been opened yet", code="opening.not_yet")
    tender = tenders.get_tender(session, tender_id, actor=actor)
    logged = document_opening.logged_sha256(session, tender.id)  # what each upload logged, not what its row says now
    documents = document_opening.opened_pairs(session, tender.id)
    rows = session.scalars(
        select(Bid)
        .where(Bid.tender_id == tender.id, Bid.envelope.is_not(None), Bid.status != WITHDRAWN)
        .order_by(Bid.submitted_at, Bid.id)
    )
    return OpeningRecord(
        tender_id=tender.id,
        currency=tender.currency,
        mode=key.mode,
        public_key=key.public_key,
        private_key=key.released_private_key,
        opened_at=key.opened_at,
        bids=[
            OpenedBid(
                bid_id=b.id,
                supplier_id=b.supplier_id,
                commitment=b.commitment or "",
                envelope=b.envelope or "",
                sealed_lots=b.sealed_lots or [],
                status=b.status,
                status_reason=b.status_reason,
                values=[
                    OpenedValue(lot_id=v.lot_id, amount=f"{v.initial_amount:.2f}", currency=v.currency)
                    for v in b.values
                ],
                documents=[
                    OpenedDocumentRecord(
                        document_key=sealed.document_key,
                        sealed_document_id=sealed.id,
                        sha256=logged.get(sealed.id, sealed.sha256),
                        url=f"/api/v1/documents/{sealed.id}/content",
                        opened_document_id=opened.id if opened else None,
                        opened_sha256=opened.sha256 if opened else None,
                    )
                    for sealed, opened in documents.get(b.id, [])
                ],
            )
            for b in rows
        ],
    )


@router.put("/organizations/{organization_id}/people", response_model=PeopleRead, summary="Declare owners")
def declare_people(organization_id: str, body: PeopleIn, cmd: Cmd) -> Response:
    """A supplier declares its owners, beneficial owners and directors, for committees' conflict-of-interest checks."""
    people = [interests.PersonIn(p.role, p.name, p.national_id) for p in body.people]

    def go(s, now):  # type: ignore[no-untyped-def]
        rows = interests.declare_people(
            s, actor=cmd.actor, now=now, organization_id=organization_id, people=people, vault=cmd.state.vault
        )
        return PeopleRead(people=[PersonRead.model_validate(r) for r in rows])

    return cmd.run(go)


@router.put("/me/interests", response_model=InterestsRead, summary="Declare my interests")
def declare_interests(body: InterestsIn, cmd: Cmd) -> Response:
    """A person who may sit on committees declares their identifier and past employers (kept as a keyed digest)."""
    jobs = [interests.EmploymentIn(j.organization_id, j.from_year, j.to_year) for j in body.past_employers]
    return cmd.run(
        lambda s, now: InterestsRead.model_validate(
            interests.declare_interests(
                s, actor=cmd.actor, now=now, national_id=body.national_id, past_employers=jobs, vault=cmd.state.vault
            )
        )
    )


@router.get("/me/interests", response_model=InterestsRead, summary="My declared interests")
def my_interests(actor: CurrentActor, session: ReadSession) -> InterestsRead:
    """What I declared (past employers, when); 409 `interests.missing` before any declaration."""
    return InterestsRead.model_validate(interests.member_interests(session, actor.user_id))


@router.get(
    "/tenders/{tender_id}/committee/bidders", response_model=list[BidderForMember], summary="Bidders to declare about"
)
def bidders_for_member(tender_id: str, actor: CurrentActor, session: ReadSession) -> list[BidderForMember]:
    """To an active member once bidding has closed: each bidder, the links the platform knows, and my declaration."""
    tender = service.active_member(session, actor=actor, tender_id=tender_id)
    if tender.status in (tm.DRAFT, tm.ENQUIRIES, tm.TENDERING, tm.PREQUALIFICATION):
        raise Conflict("the bidders are known once bidding has closed", code="committee.bidding_open")
    mine = {d.supplier_id: d for d in interests.declarations_of(session, tender.id) if d.member_id == actor.user_id}
    profile = interests.member_interests(session, actor.user_id)
    out = []
    for supplier_id in bid_service.bidders(session, tender.id):
        org = session.get(Organization, supplier_id)
        declared = mine.get(supplier_id)
        out.append(
            BidderForMember(
                supplier_id=supplier_id,
                name=org.name if org is not None else supplier_id,
                links=interests.links(session, profile, supplier_id),
                declared=declared is not None,
                conflict=declared.conflict if declared is not None else None,
            )
        )
    return out


@router.post(
    "/tenders/{tender_id}/committee/declarations", response_model=DeclarationsRead, summary="Declare conflicts"
)
def declare_conflicts(tender_id: str, body: DeclarationsIn, cmd: Cmd) -> Response:
    """Before taking part in the opening, a member declares for each bidder whether they have a conflict of interest."""
    items = [interests.DeclarationIn(d.supplier_id, d.conflict, d.justification) for d in body.declarations]

    def go(s, now):  # type: ignore[no-untyped-def]
        rows = interests.declare_conflicts(
            s,
            actor=cmd.actor,
            now=now,
            tender_id=tender_id,
            bidders=bid_service.bidders(s, tender_id),
            declarations=items,
        )
        return DeclarationsRead(declarations=[DeclarationRead.model_validate(r) for r in rows])

    return cmd.run(go)


@router.get(
    "/tenders/{tender_id}/committee/declarations", response_model=DeclarationsRead, summary="Conflict declarations"
)
def list_declarations(tender_id: str, actor: CurrentActor, session: ReadSession) -> DeclarationsRead:
    """Every member's declarations: to the buyer's staff, auditors and reviewers."""
    tender = tenders.get_tender(session, tender_id, actor=actor)
    if actor.role not in (Role.AUDITOR, Role.REVIEWER) and actor.organization_id != tender.buyer_id:
        raise PermissionDenied("declarations are shown to the buyer's staff and overseers", code="committee.hidden")
    return DeclarationsRead(
        declarations=[DeclarationRead.model_validate(d) for d in interests.declarations_of(session, tender.id)]
    )


@router.post(
    "/tenders/{tender_id}/lots/{lot_id}/assessments", response_model=AssessmentsRead, summary="Assess opened bids"
)
def submit_assessments(tender_id: str, lot_id: str, body: ScoresIn, cmd: Cmd) -> Response:
    """A member's own, final assessments of opened bids on a lot, unseen by the other members until consolidation."""
    items = [
        scoring.ScoreIn(s.bid_id, s.compliant, s.quality, s.note, s.delivery_days, s.life_cycle_cost)
        for s in body.scores
    ]

    def go(s, now):  # type: ignore[no-untyped-def]
        scoring.submit_scores(
            s,
            actor=cmd.actor,
            now=now,
            tender_id=tender_id,
            lot_id=lot_id,
            opened=bid_service.opened_on_lot(s, tender_id, lot_id),
            bidders=bid_service.bidders(s, tender_id),
            scores=items,
        )
        return _assessments(s, cmd.actor, tender_id, lot_id)

    return cmd.run(go)


def _assessments(session: Session, actor: Actor, tender_id: str, lot_id: str) -> AssessmentsRead:
    consolidation = scoring.consolidation_of(session, tender_id, lot_id)
    return AssessmentsRead(
        scores=[
            ScoreRead.model_validate(s)
            for s in scoring.visible_scores(session, actor=actor, tender_id=tender_id, lot_id=lot_id)
        ],
        consolidation=None if consolidation is None else ConsolidationRead.model_validate(consolidation),
    )


@router.get("/tenders/{tender_id}/lots/{lot_id}/assessments", response_model=AssessmentsRead, summary="Assessments")
def list_assessments(tender_id: str, lot_id: str, actor: CurrentActor, session: ReadSession) -> AssessmentsRead:
    """A member sees their own assessments until consolidation; afterwards the buyer's staff and overseers see all."""
    tender = tenders.get_tender(session, tender_id, actor=actor)
    if actor.role not in (Role.AUDITOR, Role.REVIEWER) and actor.organization_id != tender.buyer_id:
        raise PermissionDenied("assessments are shown to the buyer's staff and overseers", code="committee.hidden")
    return _assessments(session, actor, tender.id, lot_id)


@router.post(
    "/tenders/{tender_id}/lots/{lot_id}/consolidation", response_model=ConsolidationRead, summary="Consolidate"
)
def consolidate(tender_id: str, lot_id: str, cmd: Cmd) -> Response:
    """The chair consolidates once a quorum has assessed every opened bid: majority compliance, median findings;
    the consolidation is then the lot's evaluation of record, by which the award ranks."""
    return cmd.run(
        lambda s, now: ConsolidationRead.model_validate(
            scoring.consolidate(
                s,
                actor=cmd.actor,
                now=now,
                tender_id=tender_id,
                lot_id=lot_id,
                opened=bid_service.opened_on_lot(s, tender_id, lot_id),
            )
        )
    )

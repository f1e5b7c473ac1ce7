"""Committee use cases: appoint the committee, issue the tender's opening key at publication, release shares at
opening and reconstruct the key from k of them (or unwrap a platform-held key), then publish it.

Nothing here ever holds an opening private key beyond one call: issuing splits it and forgets it (threshold mode) or
stores it wrapped under the vault's key (platform mode); ``opening_private_key`` rebuilds it only once bidding has
closed, for ``bids.open_bids`` to use in the same transaction that publishes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.committees.models import (
    CHAIR,
    MEMBER,
    PLATFORM,
    THRESHOLD,
    Committee,
    CommitteeMember,
    ConflictDeclaration,
    KeyShare,
    OpeningKey,
)
from quartermaster.committees.vault import OpeningKeyVault, VaultError
from quartermaster.errors import Conflict, NotFound, PermissionDenied, RuleViolation, ValidationFailed
from quartermaster.events.service import payload_hash, record_event
from quartermaster.identity import keys as person_keys
from quartermaster.identity.models import User
from quartermaster.rules import rulebook_for
from quartermaster.rules.model import SealingRules
from quartermaster.sealing import (
    NotEnoughSharesError,
    SealingError,
    combine_shares,
    generate_key_pair,
    parse_share,
    public_key_hash,
    split_and_seal,
)
from quartermaster.sealing.encoding import b64url_decode, b64url_encode
from quartermaster.tenders import models as tm
from quartermaster.tenders import service as tenders
from quartermaster.tenders.models import Tender
from quartermaster.tenders.schemas import PublishTender
from quartermaster.types import marking_rank, max_marking

MEMBER_ROLES = (Role.EVALUATOR, Role.APPROVER, Role.BUYER)


@dataclass(frozen=True)
class Appointment:
    """One person named to a committee."""

    user_id: str
    role: str = MEMBER


def _event(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    command: str,
    event_type: str,
    tender: Tender,
    payload: dict[str, object],
    object_type: str = "committee",
) -> None:
    record_event(
        session,
        actor=actor,
        now=now,
        command=command,
        event_type=event_type,
        object_type=object_type,
        object_id=tender.id,
        process_id=tender.id,
        before=None,
        after=None,
        payload=payload,
    )


def get_committee(session: Session, tender_id: str) -> Committee | None:
    """The tender's committee, if one was appointed."""
    return session.scalar(select(Committee).where(Committee.tender_id == tender_id))


def appoint_committee(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    tender_id: str,
    members: Sequence[Appointment],
    threshold: int,
) -> Committee:
    """Appoint (or, while the tender is a draft, replace) the evaluation committee and its opening threshold k.

    Members are active evaluators, approvers or buyers of the buying organization, cleared for the tender's marking,
    each with an enrolled custody key; exactly one chair; at least the rulebook's minimum members and k.
    """
    tender = tenders.get_tender(session, tender_id, actor=actor, for_update=True, join_lots=True)
    tenders.require_buyer_staff(actor, tender, Role.BUYER, Role.APPROVER)
    if tender.status != tm.DRAFT:
        raise Conflict(
            "the committee is fixed once the tender is published: its members hold the opening key's shares",
            code="committee.tender_published",
        )
    rules = _sealing_rules_now(now)
    errors = _check_members(session, tender, members)
    if sum(1 for m in members if m.role == CHAIR) != 1:
        errors.append({"field": "members", "message": "name exactly one chair"})
    if len(members) < rules.committee_min_members:
        errors.append({"field": "members", "message": f"at least {rules.committee_min_members} members"})
    if not rules.committee_min_threshold <= threshold <= len(members):
        errors.append(
            {"field": "threshold", "message": f"between {rules.committee_min_threshold} and the number of members"}
        )
    if errors:
        raise ValidationFailed("the committee cannot be appointed", errors=errors, code="committee.invalid")
    committee = get_committee(session, tender.id)
    if committee is None:
        committee = Committee(tender_id=tender.id, threshold=threshold, appointed_by=actor.user_id, appointed_at=now)
        session.add(committee)
    else:
        committee.members.clear()
        session.flush()
        committee.threshold, committee.appointed_by, committee.appointed_at = threshold, actor.user_id, now
    for position, member in enumerate(members):
        key = person_keys.current_key(session, member.user_id, person_keys.CUSTODY)
        assert key is not None  # checked above
        committee.members.append(
            CommitteeMember(user_id=member.user_id, position=position, role=member.role, custody_key_id=key.key_id)
        )
    session.flush()
    _event(
        session,
        actor=actor,
        now=now,
        command="appoint_committee",
        event_type="CommitteeAppointed",
        tender=tender,
        payload={
            "threshold": threshold,
            "members": [
                {"user_id": m.user_id, "role": m.role, "custody_key_id": m.custody_key_id} for m in committee.members
            ],
        },
    )
    return committee


def _check_members(session: Session, tender: Tender, members: Sequence[Appointment]) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    marking = max_marking(tender.marking, *(lot.marking for lot in tender.lots))
    seen: set[str] = set()
    for i, member in enumerate(members):
        field = f"members.{i}.user_id"
        user = session.get(User, member.user_id)
        if member.user_id in seen:
            errors.append({"field": field, "message": "named twice"})
        seen.add(member.user_id)
        if member.role not in (CHAIR, MEMBER):
            errors.append({"field": f"members.{i}.role", "message": "chair or member"})
        if user is None or not user.active:
            errors.append({"field": field, "message": "no such active person"})
            continue
        if user.organization_id != tender.buyer_id or Role(user.role) not in MEMBER_ROLES:
            errors.append(
                {"field": field, "message": "must be an evaluator, approver or buyer of the buying organization"}
            )
        if marking_rank(user.clearance) < marking_rank(marking):
            errors.append({"field": field, "message": f"not cleared for {marking}"})
        if person_keys.current_key(session, user.id, person_keys.CUSTODY) is None:
            errors.append({"field": field, "message": "has no enrolled custody key (quartermaster keys new / enrol)"})
    return errors


def recuse(session: Session, *, actor: Actor, now: datetime, tender_id: str, reason: str) -> Committee:
    """A member steps down from the tender's committee (a conflict of interest, absence) with a stated reason.

    A recused member releases no share and takes no part in the evaluation; once bidding has opened the committee's
    k still applies to the members left, so recusals that leave fewer than k active members block the opening —
    the reason to appoint n > k.
    """
    tender = tenders.get_tender(session, tender_id, actor=actor, for_update=True)
    committee = get_committee(session, tender.id)
    member = next((m for m in committee.members if m.user_id == actor.user_id), None) if committee else None
    if committee is None or member is None:
        raise PermissionDenied("only a member of the tender's committee may recuse", code="committee.not_a_member")
    if member.recused_at is not None:
        raise Conflict("you have already recused yourself", code="committee.already_recused")
    if session.scalar(
        select(KeyShare.released_at).where(KeyShare.tender_id == tender.id, KeyShare.member_id == actor.user_id)
    ):
        raise Conflict("you have released your share: recuse before the opening", code="committee.share_released")
    member.recused_at, member.recusal_reason = now, reason
    _event(
        session,
        actor=actor,
        now=now,
        command="recuse",
        event_type="MemberRecused",
        tender=tender,
        payload={
            "member": actor.user_id,
            "reason_digest": payload_hash({"reason": reason}),
            "active": len(committee.active_members()),
        },
    )
    return committee


def _sealing_rules_now(now: datetime) -> SealingRules:
    book = rulebook_for(now)
    if book.sealing is None:
        raise RuleViolation(f"rulebook {book.version} does not seal bids", code="committee.no_sealing")
    return book.sealing


def publish_tender(
    session: Session, *, actor: Actor, now: datetime, tender_id: str, periods: PublishTender, vault: OpeningKeyVault
) -> Tender:
    """Publish the draft and, for a procedure with a tendering step, issue its opening key in the same transaction."""
    tender = tenders.publish_tender(session, actor=actor, now=now, tender_id=tender_id, periods=periods)
    issue_opening_key(session, actor=actor, now=now, tender=tender, vault=vault)
    return tender


def sealing_mode(tender: Tender) -> str | None:
    """How the tender's bids are sealed: ``threshold``, ``platform``, or None (no tendering, or no sealing)."""
    book, rules = tenders.tender_rules(tender)
    if book.sealing is None or "tendering" not in rules.steps:
        return None
    value = tender.value_amount
    return book.sealing.mode_for(value, max_marking(tender.marking, *(lot.marking for lot in tender.lots)))


def issue_opening_key(session: Session, *, actor: Actor, now: datetime, tender: Tender, vault: OpeningKeyVault) -> None:
    """Generate the opening key; split and seal it to the committee (threshold) or wrap it in the vault (platform)."""
    mode = sealing_mode(tender)
    if mode is None:
        return
    book, _ = tenders.tender_rules(tender)
    assert book.sealing is not None
    pair = generate_key_pair()
    key = OpeningKey(tender_id=tender.id, mode=mode, public_key=b64url_encode(pair.public_key), issued_at=now)
    payload: dict[str, object] = {"mode": mode, "public_key": key.public_key}
    if mode == PLATFORM:
        key.wrapped_private_key = vault.wrap(tender.id, pair.private_key)
        session.add(key)
    else:
        committee = get_committee(session, tender.id)
        members = committee.active_members() if committee is not None else []
        if committee is None or len(members) < book.sealing.committee_min_members:
            raise RuleViolation(
                f"a tender worth {tender.value_amount} {tender.currency} or marked is opened by its evaluation "
                f"committee: appoint one with at least {book.sealing.committee_min_members} members before publishing",
                code="tender.committee_required",
            )
        custody = [(m.user_id, _custody_key(session, m.custody_key_id)) for m in members]
        sealed = split_and_seal(pair, tender.id, committee.threshold, custody)
        key.threshold, key.shares = committee.threshold, len(sealed)
        session.add(key)
        session.flush()
        for share in sealed:
            session.add(
                KeyShare(
                    tender_id=tender.id,
                    member_id=share.member_id,
                    index=share.index,
                    sealed_share=share.to_bytes().decode("ascii"),
                )
            )
        payload |= {
            "threshold": committee.threshold,
            "shares": [
                {"member": s.member_id, "index": s.index, "custody_key_id": m.custody_key_id}
                for s, m in zip(sealed, members, strict=True)
            ],
        }
    del pair  # the only clear copy of the private key ends here
    session.flush()
    _event(
        session,
        actor=actor,
        now=now,
        command="issue_opening_key",
        event_type="OpeningKeyIssued",
        tender=tender,
        payload=payload,
        object_type="opening_key",
    )


def _custody_key(session: Session, key_id: str) -> bytes:
    row = person_keys.key_by_id(session, key_id)
    return b64url_decode(row.public_key, "public_key")


def get_opening_key(session: Session, *, actor: Actor | None, tender_id: str) -> OpeningKey:
    """The tender's opening key record (its public half is what suppliers seal to); NotFound if it has none."""
    tender = tenders.get_tender(session, tender_id, actor=actor)
    key = session.get(OpeningKey, tender.id)
    if key is None:
        raise NotFound("this tender has no opening key (its bids are not sealed)", code="opening_key.not_found")
    return key


def shares_of(session: Session, tender_id: str) -> list[KeyShare]:
    """The tender's key shares in index order."""
    return list(session.scalars(select(KeyShare).where(KeyShare.tender_id == tender_id).order_by(KeyShare.index)))


def my_share(session: Session, *, actor: Actor, tender_id: str) -> KeyShare:
    """The caller's own sealed share of the tender's opening key."""
    tenders.get_tender(session, tender_id, actor=actor)
    share = session.scalar(select(KeyShare).where(KeyShare.tender_id == tender_id, KeyShare.member_id == actor.user_id))
    if share is None:
        raise NotFound("you hold no share of this tender's opening key", code="opening_key.no_share")
    return share


def active_member(session: Session, *, actor: Actor, tender_id: str) -> Tender:
    """The tender, if the actor is an active (not recused) member of its committee; PermissionDenied otherwise."""
    tender = tenders.get_tender(session, tender_id, actor=actor, for_update=True)
    committee = get_committee(session, tender.id)
    member = next((m for m in committee.members if m.user_id == actor.user_id), None) if committee else None
    if member is None:
        raise PermissionDenied("only a member of the tender's committee may do this", code="committee.not_a_member")
    if member.recused_at is not None:
        raise PermissionDenied("a recused member takes no part in the opening", code="opening.recused")
    return tender


def undeclared(session: Session, *, tender_id: str, member_id: str, bidders: Sequence[str]) -> list[str]:
    """The bidders a member has not yet declared a conflict of interest about (or its absence)."""
    declared = set(
        session.scalars(
            select(ConflictDeclaration.supplier_id).where(
                ConflictDeclaration.tender_id == tender_id, ConflictDeclaration.member_id == member_id
            )
        )
    )
    return sorted(set(bidders) - declared)


def release_share(
    session: Session, *, actor: Actor, now: datetime, tender_id: str, share_text: str, bidders: Sequence[str]
) -> KeyShare:
    """A member releases their share (opened on their own machine) once bidding has closed; checked before storing.

    ``bidders``: the organizations with a live bid (the bids context knows them): the member must first have
    declared, for each, whether they have a conflict of interest.
    """
    tender = tenders.get_tender(session, tender_id, actor=actor, for_update=True)
    row = session.scalar(
        select(KeyShare).where(KeyShare.tender_id == tender.id, KeyShare.member_id == actor.user_id).with_for_update()
    )
    if row is None:
        raise PermissionDenied("only a committee member holding a share may release it", code="opening.not_a_member")
    committee = get_committee(session, tender.id)
    member = next((m for m in committee.members if m.user_id == actor.user_id), None) if committee else None
    if member is not None and member.recused_at is not None:
        raise PermissionDenied("a recused member takes no part in the opening", code="opening.recused")
    if tender.status != tm.OPENING:
        raise Conflict(
            "shares are released only once bidding has closed and before the bids are opened",
            code="opening.not_open_for_shares",
            tender_status=tender.status,
        )
    if row.released_share is not None:
        raise Conflict("you have already released your share", code="opening.share_already_released")
    missing = undeclared(session, tender_id=tender.id, member_id=actor.user_id, bidders=bidders)
    if missing:
        raise Conflict(
            f"declare first whether you have a conflict of interest with each bidder ({len(missing)} to go)",
            code="committee.declarations_missing",
            suppliers=missing,
        )
    key = session.get(OpeningKey, tender.id)
    assert key is not None
    try:
        share = parse_share(share_text.encode("utf-8"))
    except SealingError as exc:
        raise ValidationFailed(f"not a key share: {exc.message}", code="opening.bad_share") from None
    expected = (tender.id, public_key_hash(b64url_decode(key.public_key, "public_key")), row.index)
    if (share.tender_id, share.public_key_hash, share.index) != expected:
        raise ValidationFailed(
            "this share is not yours for this tender's opening key (tender, key or index differ)",
            code="opening.wrong_share",
        )
    row.released_share, row.released_at = share.to_bytes().decode("ascii"), now
    released = sum(1 for s in shares_of(session, tender.id) if s.released_share is not None)
    _event(
        session,
        actor=actor,
        now=now,
        command="release_share",
        event_type="ShareReleased",
        tender=tender,
        payload={"index": row.index, "share_digest": payload_hash({"share": row.released_share}), "released": released},
        object_type="opening_key",
    )
    return row


def opening_private_key(
    session: Session, *, tender: Tender, now: datetime, vault: OpeningKeyVault | None
) -> bytes | None:
    """The tender's opening private key, rebuilt for the opening (None: bids not sealed); only once bidding closed.

    Threshold: from the released shares (RuleViolation ``opening.not_enough_shares`` below k; ``opening.bad_shares``
    when they do not rebuild the tender's key). Platform: unwrapped from the vault.
    """
    key = session.get(OpeningKey, tender.id)
    if key is None:
        return None
    if tender.tender_end is None or now < tender.tender_end:
        raise RuleViolation("the opening key is released only after the tender period", code="opening.too_early")
    public_key = b64url_decode(key.public_key, "public_key")
    if key.mode == PLATFORM:
        assert key.wrapped_private_key is not None
        if vault is None:
            raise RuleViolation("the platform's opening-key vault is not available here", code="opening.no_vault")
        try:
            return vault.unwrap(tender.id, key.wrapped_private_key)
        except VaultError as exc:
            raise RuleViolation(str(exc), code="opening.vault_mismatch") from None
    assert key.mode == THRESHOLD
    assert key.threshold is not None
    released = [parse_share(s.released_share.encode()) for s in shares_of(session, tender.id) if s.released_share]
    if len(released) < key.threshold:
        raise RuleViolation(
            f"{len(released)} of the {key.threshold} shares needed have been released",
            code="opening.not_enough_shares",
            released=len(released),
            needed=key.threshold,
        )
    try:
        return combine_shares(released, public_key)
    except NotEnoughSharesError as exc:  # pragma: no cover - counted above
        raise RuleViolation(exc.message, code="opening.not_enough_shares") from None
    except SealingError as exc:
        raise RuleViolation(
            f"the released shares do not rebuild the key: {exc.message}", code="opening.bad_shares"
        ) from None


def publish_private_key(key: OpeningKey, private_key: bytes, now: datetime) -> None:
    """Record the opening private key in the clear once the bids are open, so anyone can re-open them."""
    key.released_private_key, key.opened_at = b64url_encode(private_key), now


def opening_key_row(session: Session, tender_id: str) -> OpeningKey | None:
    """The opening key record of a tender, if any."""
    return session.get(OpeningKey, tender_id)

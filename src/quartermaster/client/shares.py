"""Open one's own sealed share of a tender's opening key, locally, to release it at the opening."""

from __future__ import annotations

from quartermaster.client.keyfile import PersonKeys
from quartermaster.sealing.custody import open_share, parse_sealed_share


def open_my_share(keys: PersonKeys, sealed_share: str, member_id: str) -> str:
    """The clear share (canonical JSON text) inside ``sealed_share``, opened with the member's custody key."""
    share = open_share(keys.custody_private, parse_sealed_share(sealed_share.encode("ascii")), member_id=member_id)
    return share.to_bytes().decode("ascii")

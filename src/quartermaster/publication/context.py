"""Everything publication needs at run time, built once from the settings by the composition root."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from quartermaster.codelists import CodeLists
from quartermaster.config import Settings
from quartermaster.disclosure import load_policy
from quartermaster.ocds import Naming
from quartermaster.publication.keys import load_signer
from quartermaster.publication.log import TransparencyLog
from quartermaster.publication.service import Publisher


class _Titles(Mapping[str, str]):
    """Code → English title, looked up in the loaded code lists on demand."""

    def __init__(self, lists: CodeLists, kind: str) -> None:
        self._lists, self._kind = lists, kind

    def __getitem__(self, code: str) -> str:
        if self._kind == "cpv":
            entry = self._lists.cpv(code)
            if entry is not None:
                return entry.title_en
        else:
            unit = self._lists.unit(code)
            if unit is not None:
                return unit.name_en
        raise KeyError(code)

    def __iter__(self) -> Iterator[str]:
        return iter(())  # looked up, never listed

    def __len__(self) -> int:
        return 0


@dataclass
class Publication:
    """The publisher hook, the log and the package metadata of one deployment."""

    naming: Naming
    publisher: Publisher
    log: TransparencyLog
    publisher_name: str
    public_url: str

    @property
    def package_publisher(self) -> dict[str, str]:
        """The OCDS package `publisher` block."""
        return {"name": self.publisher_name, "uri": self.public_url}


def build_publication(settings: Settings, lists: CodeLists) -> Publication:
    """The publication side of a deployment: naming from the settings, the policy, the log key (created if new)."""
    naming = Naming(
        ocid_prefix=settings.ocid_prefix, cpv_names=_Titles(lists, "cpv"), unit_names=_Titles(lists, "unit")
    )
    signer = load_signer(settings)
    publisher = Publisher(
        naming=naming,
        policy=load_policy(settings.disclosure_policy),
        codelists=lists,
        alias_key=hashlib.sha256(b"quartermaster organization aliases\n" + signer.key_string.encode()).digest(),
    )
    return Publication(
        naming=naming,
        publisher=publisher,
        log=TransparencyLog.with_signer(signer),
        publisher_name=settings.publisher_name,
        public_url=settings.public_url.rstrip("/"),
    )

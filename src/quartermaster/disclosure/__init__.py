"""Disclosure: the one projection deciding what the public sees of a classified contracting process.

Pure code, no database. ``project(release, classification, policy, at=...)`` turns a full OCDS release into its
public projection under a versioned policy (``load_policy()``, shipped as ``policy-2026.1.toml``): per security
marking, which fields are published exactly, generalised or withheld, and from when. Anything the policy does not
name is withheld. ``viewer_sees_full`` says who may read the full release instead.
"""

from quartermaster.disclosure.generalise import GENERALISERS, GeneraliseContext, Generaliser, organization_alias
from quartermaster.disclosure.markings import Marking, clears, max_marking, parse_marking, rank, viewer_sees_full
from quartermaster.disclosure.policy import (
    MarkingNames,
    Policy,
    Rule,
    Timing,
    ancestor_paths,
    load_policy,
    parse_policy,
)
from quartermaster.disclosure.project import Projection, project
from quartermaster.disclosure.scope import Classification, signatures_in

__all__ = [
    "GENERALISERS",
    "Classification",
    "GeneraliseContext",
    "Generaliser",
    "Marking",
    "MarkingNames",
    "Policy",
    "Projection",
    "Rule",
    "Timing",
    "ancestor_paths",
    "clears",
    "load_policy",
    "max_marking",
    "organization_alias",
    "parse_marking",
    "parse_policy",
    "project",
    "rank",
    "signatures_in",
    "viewer_sees_full",
]

"""``quartermaster verify``: the auditor's independent check of a transparency log, from a server or an export.

It trusts nothing the log says about itself beyond what signatures, hashes and proofs establish (see ``check``),
and remembers per origin the newest checkpoint it verified, so a later rewrite, fork or rollback shows.
"""

from quartermaster.verify.check import ProgressCallback, Report, Trust, load_key, verify
from quartermaster.verify.cli import run
from quartermaster.verify.decisions import DecisionReport, check_decisions, load_events
from quartermaster.verify.errors import InputError, VerifyError
from quartermaster.verify.sources import DirSource, HttpSource, LogSource, open_source
from quartermaster.verify.state import LogState, default_state_path, read_state, record_state

__all__ = [
    "DecisionReport",
    "DirSource",
    "HttpSource",
    "InputError",
    "LogSource",
    "LogState",
    "ProgressCallback",
    "Report",
    "Trust",
    "VerifyError",
    "check_decisions",
    "default_state_path",
    "load_events",
    "load_key",
    "open_source",
    "read_state",
    "record_state",
    "run",
    "verify",
]

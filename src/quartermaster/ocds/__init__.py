"""Pure OCDS 1.1 mapping: domain objects -> releases, records by the merge rules, and their packages.

Nothing here queries the database: callers load a ``Process`` and pass it in. camelCase lives only here.
"""

from quartermaster.ocds.extensions import EXTENSION_URLS, EXTENSIONS
from quartermaster.ocds.mapping import release
from quartermaster.ocds.merge import compiled_release, record
from quartermaster.ocds.package import record_package, release_package
from quartermaster.ocds.process import RELEASE_TAGS, Change, Naming, Process, release_tags

__all__ = [
    "EXTENSIONS",
    "EXTENSION_URLS",
    "RELEASE_TAGS",
    "Change",
    "Naming",
    "Process",
    "compiled_release",
    "record",
    "record_package",
    "release",
    "release_package",
    "release_tags",
]

"""Bulk OCDS exports streamed in constant memory: JSON Lines, release and record packages, CSV (ZIP) and XLSX.

Pure over iterators: the caller (the CLI's ``export ocds``, the bulk-download route) reads the releases and passes
them in; nothing here touches the database.
"""

from quartermaster.exports.packages import PackageMeta, write_jsonl, write_record_package, write_release_package
from quartermaster.exports.spreadsheets import write_csv, write_xlsx

__all__ = [
    "PackageMeta",
    "write_csv",
    "write_jsonl",
    "write_record_package",
    "write_release_package",
    "write_xlsx",
]

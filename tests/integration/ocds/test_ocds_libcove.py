"""The demo data's open-data export, checked by the OCDS community's own tool: libcoveocds, offline, with the
official 1.1.5 standard zip (`--standard-zip`), reports no validation errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from quartermaster.codelists import load_codelists
from quartermaster.config import Settings
from quartermaster.db.tx import Database
from quartermaster.publication.bulk import write_export
from quartermaster.publication.context import build_publication
from quartermaster.seed import SeedSpec, seed
from quartermaster.types import FixedClock
from support.ocds_schema import SCHEMA_DIR, needs_schema

STANDARD_ZIP = SCHEMA_DIR / "standard-1__1__5-schema.zip"
LIBCOVE = Path(sys.executable).with_name("libcoveocds")

pytestmark = [
    needs_schema,
    pytest.mark.skipif(not LIBCOVE.is_file(), reason="libcoveocds is not installed (dev dependencies)"),
]


def test_libcoveocds_reports_no_validation_error_on_the_demo_export(
    database: Database, clock: FixedClock, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path)
    database.before_commit = build_publication(settings, load_codelists()).publisher
    result = seed(database, spec=SeedSpec(buyers=2, suppliers=6, tenders=24), clock=clock)
    assert result.failures == []
    package = tmp_path / "open-data.json"
    with package.open("wb") as out:
        written = write_export(database, settings, "release-package", out)

    run = subprocess.run(
        [str(LIBCOVE), "--standard-zip", str(STANDARD_ZIP), "--skip-aggregates", str(package)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        check=False,
    )

    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout)
    assert written > 50
    assert report["version_used"] == "1.1"
    assert report["validation_errors"] == []
    assert report["additional_closed_codelist_values"] == {}

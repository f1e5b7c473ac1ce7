"""The transparency core stays pure: importing it pulls in no database, web or CLI framework."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_transparency_core_loads_no_database_web_or_cli_framework() -> None:
    code = (
        "import sys, quartermaster.transparency\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'sqlalchemy', 'fastapi', 'starlette', 'typer'}"
        " or m.startswith(('quartermaster.db', 'quartermaster.api', 'quartermaster.cli', 'quartermaster.events')))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""

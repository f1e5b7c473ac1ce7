"""The sealing core stays pure: importing it pulls in no database, web or CLI framework and no other context."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_sealing_core_loads_no_database_web_or_cli_framework() -> None:
    # The top-level package itself loads config, errors and types; the core may add only itself and transparency.
    code = (
        "import sys, quartermaster\n"
        "before = set(sys.modules)\n"
        "import quartermaster.sealing\n"
        "added = set(sys.modules) - before\n"
        "FRAMEWORKS = {'sqlalchemy', 'fastapi', 'starlette', 'typer', 'pydantic'}\n"
        "bad = sorted(m for m in added if m.split('.')[0] in FRAMEWORKS"
        " or (m.startswith('quartermaster.') and m.split('.')[1] not in {'sealing', 'transparency'}))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""

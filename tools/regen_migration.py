"""Regenerate the initial migration from the models (allowed while no release has shipped).

Run: .venv/bin/python tools/regen_migration.py   — then review the diff of 0001_initial_schema.py.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from quartermaster.db.engine import make_engine
from quartermaster.db.migrate import HERE, alembic_config

TARGET = HERE / "migrations" / "versions" / "0001_initial_schema.py"


def main() -> None:
    """Delete and re-autogenerate revision 0001 against an empty SQLite database."""
    TARGET.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'gen.db'}"
        engine = make_engine(url)
        cfg = alembic_config(url)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
        engine.dispose()
    text = TARGET.read_text()
    TARGET.write_text(text.replace("\n\n\nrevision", "\n\nrevision"))
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()

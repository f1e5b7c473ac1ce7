"""`python -m quartermaster` runs the CLI."""

from quartermaster.cli.main import run

run()

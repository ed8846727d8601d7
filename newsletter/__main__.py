"""`python -m newsletter` runs the CLI."""

from newsletter.cli import app

app(prog_name="newsletter")

"""`python -m newsletter` runs the CLI."""

from newsletter.cli import app

# Guarded: the worker processes the send starts (spawned interpreters) import this module
# as their parent's main module, and must not run the CLI again.
if __name__ == "__main__":
    app(prog_name="newsletter")

"""`python -m grader`: see grader/commands/cli.py."""
import os
import sys

from grader.commands.cli import main

code = main()
sys.stdout.flush()
sys.stderr.flush()
# Everything is written and the fork server is gone; tearing torch down costs ~1 s for nothing.
os._exit(code)

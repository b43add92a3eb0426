"""`python -m grader`: see grader/commands/cli.py."""
import os
import sys

from grader.run import forkserver, torch_libraries

if len(sys.argv) > 1 and sys.argv[1].endswith((".ipynb", ".py")) and os.path.isfile(sys.argv[1]):
    forkserver.prestart()  # one submission: its fork server's torch import starts first
    torch_libraries.start()  # and this process's, while it reads the notebook

from grader.commands.cli import main  # noqa: E402

code = main()
forkserver.discard_prestarted()
sys.stdout.flush()
sys.stderr.flush()
# Everything is written and the fork server is gone; tearing torch down costs ~1 s for nothing.
os._exit(code)

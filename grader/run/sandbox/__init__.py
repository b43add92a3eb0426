"""Confinement of the child process that runs one submission; docs/operations.md "Security" explains it.

What the fork server calls, and when:

- ``prepare_server()`` once, before its first fork (and before any thread starts).
- In each job's child, right after ``os.setsid()``:
  ``enter(slot, workdir, limits, protected, keep_fds)``; send its dict to the parent with the
  results. Everything the child needs (modules, the submission's text) must be loaded first.
- After the job's child exited or was killed (``os.killpg(pgid, SIGKILL)``), before or after
  ``waitpid`` on it: ``sweep(slot, pgid, live_pids)``, where ``live_pids`` are the server's
  other children it has not yet waited for. The server must not ``waitpid(-1)``: sweep reaps
  the orphans it kills, and the server reaps only its own job children.

``slot`` is 0..N-1 over concurrent jobs (N <= 64); as root the child runs as uid
``slot_uid(slot)``, in a block of 64 uids from 61000 that ``prepare_server()`` claims for this
server alone (``claim_block()``), and the engine creates ``workdir`` owned by that uid.
"""
from .child import enter
from .identity import UID_BASE, claim_block, slot_uid
from .interpreter import PRELOAD
from .reaper import kill_slot_processes, orphans, sweep
from .server import prepare_server

__all__ = ["PRELOAD", "UID_BASE", "claim_block", "enter", "kill_slot_processes",
           "orphans", "prepare_server", "slot_uid", "sweep"]

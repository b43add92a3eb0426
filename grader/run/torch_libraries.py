"""Load torch's C++ libraries in a thread while the interpreter does other work.

`import torch` spends about 0.4 s in the dynamic loader (libtorch_cpu.so's relocations and the
static initialisers of its operator registry) while holding the GIL. ctypes releases the GIL
around dlopen, so loading the libraries first, from a thread, lets the interpreter meanwhile
import matplotlib (the fork server) or read the notebook (the command line); `import torch`
then finds them loaded. They are loaded as torch loads them (its global dependencies with
RTLD_GLOBAL, then libtorch_cpu.so), and only the pure C++ ones: libtorch_python's initialisers
belong to the interpreter.
"""
from __future__ import annotations

import ctypes
import importlib.util
import os
import threading

_LIBRARIES = (("libtorch_global_deps.so", ctypes.RTLD_GLOBAL), ("libtorch_cpu.so", ctypes.RTLD_LOCAL))
_loading: list[threading.Thread] = []


def start() -> None:
    """Begin loading; a torch without these files (another platform or build) is left alone."""
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return
    folder = os.path.join(list(spec.submodule_search_locations)[0], "lib")
    paths = [(os.path.join(folder, name), mode) for name, mode in _LIBRARIES]
    if not all(os.path.isfile(path) for path, _mode in paths):
        return
    thread = threading.Thread(target=_load, args=(paths,), name="torch-libraries", daemon=True)
    thread.start()
    _loading.append(thread)


def wait() -> None:
    """Call before `import torch` and before any fork: a child forked while the loader's lock is
    held could never load a library."""
    while _loading:
        _loading.pop().join()


def _load(paths: list[tuple[str, int]]) -> None:
    try:
        for path, mode in paths:
            ctypes.CDLL(path, mode=mode)
    except OSError:
        pass  # `import torch` meets the same problem and reports it in its own words

"""Landlock: an unprivileged, inherited allow-list for file access, plus TCP connect/bind
denial (ABI 4+) and scoping of signals and abstract unix sockets (ABI 6+).

Three system calls through ctypes, no package. The syscall numbers are the generic ones that
every architecture but alpha shares for calls added after Linux 5.1.
"""
from __future__ import annotations

import ctypes
import os
import stat
import struct
from collections.abc import Iterable

from . import syscalls

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_FILE_ONLY = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
_NET_TCP = 0b11
_SCOPES = 0b11

READ_ONLY = EXECUTE | READ_FILE | READ_DIR

# What the C runtime and lazy imports read besides the interpreter: shared libraries, time
# zones, locale data, CPU features and topology (torch's cpuinfo reads them at the first
# matmul) and the process's own /proc entry.
SYSTEM_READ = (
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/proc/self", "/proc/cpuinfo",
    "/sys/devices/system/cpu", "/dev/urandom", "/dev/random", "/dev/zero", "/etc/localtime",
    "/etc/ld.so.cache", "/etc/nsswitch.conf", "/etc/passwd", "/etc/group", "/etc/mime.types",
)
SYSTEM_WRITE = ("/dev/null",)


def abi() -> int:
    """The Landlock ABI version, 0 when the kernel lacks it or it is disabled."""
    try:
        return syscalls.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0),
                                ctypes.c_uint32(_CREATE_RULESET_VERSION))
    except OSError:
        return 0


def ruleset(version: int, readable: Iterable[str], writable: Iterable[str]) -> int:
    """Build the ruleset while paths are still reachable (before the uid drop); returns its fd.

    Everything this ABI can govern is handled, so whatever is not allowed here is denied,
    including every TCP connect and bind.
    """
    handled = _handled_fs(version)
    fields = [handled, _NET_TCP if version >= 4 else 0, _SCOPES if version >= 6 else 0]
    size = 8 * (1 if version < 4 else 2 if version < 6 else 3)
    attr = ctypes.create_string_buffer(struct.pack("<QQQ", *fields)[:size], size)
    fd = syscalls.syscall(_CREATE_RULESET, attr, ctypes.c_size_t(size), ctypes.c_uint32(0))
    for path in readable:
        _allow(fd, path, READ_ONLY & handled)
    for path in writable:
        _allow(fd, path, handled)
    return fd


def restrict(fd: int) -> None:
    """Needs no_new_privs (identity.lock) or CAP_SYS_ADMIN; irreversible, inherited by children."""
    try:
        syscalls.syscall(_RESTRICT_SELF, ctypes.c_int(fd), ctypes.c_uint32(0))
    finally:
        os.close(fd)


def _handled_fs(version: int) -> int:
    handled = (1 << 13) - 1
    if version >= 2:
        handled |= REFER
    if version >= 3:
        handled |= TRUNCATE
    if version >= 5:
        handled |= IOCTL_DEV
    return handled


def _allow(ruleset_fd: int, path: str, access: int) -> None:
    """A missing path is skipped: the lists name what may exist on any Linux."""
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            access &= _FILE_ONLY
        rule = ctypes.create_string_buffer(struct.pack("<Qi", access, fd), 12)
        syscalls.syscall(_ADD_RULE, ctypes.c_int(ruleset_fd), ctypes.c_int(_RULE_PATH_BENEATH),
                         rule, ctypes.c_uint32(0))
    finally:
        os.close(fd)

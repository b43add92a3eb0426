"""A seccomp filter, compiled once in the server by the optional `pyseccomp` package (over
the system's libseccomp2) and loaded in each child as plain BPF, which takes microseconds
where compiling takes milliseconds.

It closes what the other layers leave open: inet and netlink sockets when no network
namespace could be made (Landlock does not cover UDP), ptrace and process_vm_* (reading the
memory of a same-uid process), new namespaces and mounts, kernel keyrings, BPF, perf, and
io_uring (whose socket operations would bypass the socket() rule). Without the package the
layer is reported missing and everything else still applies.
"""
from __future__ import annotations

import ctypes
import errno
import importlib
import socket
import tempfile
from typing import Any

from . import syscalls

_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2
_program: bytes | None = None

DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "mount", "umount2", "pivot_root",
    "chroot", "unshare", "setns", "kexec_load", "kexec_file_load", "bpf", "perf_event_open",
    "keyctl", "add_key", "request_key", "userfaultfd", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "open_by_handle_at", "name_to_handle_at", "init_module",
    "finit_module", "delete_module", "fsopen", "fsmount", "fsconfig", "move_mount",
    "open_tree", "mount_setattr",
)
SOCKET_FAMILIES = (socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK, socket.AF_PACKET)
NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000,
                   0x40000000)  # CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


def compile_filter() -> bytes | None:
    """The filter as BPF bytes, built once; None without pyseccomp or libseccomp2."""
    global _program
    if _program is None:
        try:
            _program = _build(importlib.import_module("pyseccomp"))
        except Exception:  # ImportError, or OSError when libseccomp2 itself is absent
            return None
    return _program


def install() -> None:
    """Load the filter; needs no_new_privs (identity.lock), irreversible, inherited."""
    program = compile_filter()
    if program is None:
        raise RuntimeError("pyseccomp is not installed")
    prog = _SockFprog(len(program) // 8, program)
    syscalls.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.addressof(prog))


def _build(lib: Any) -> bytes:
    deny = lib.ERRNO(errno.EPERM)
    rules = lib.SyscallFilter(lib.ALLOW)

    def add(action: int, name: str, *args: Any) -> None:
        if lib.resolve_syscall(lib.Arch.NATIVE, name) >= 0:  # unknown on this architecture
            rules.add_rule(action, name, *args)

    for name in DENIED:
        add(deny, name)
    for family in SOCKET_FAMILIES:
        add(deny, "socket", lib.Arg(0, lib.EQ, family))
    for flag in NAMESPACE_FLAGS:
        add(deny, "clone", lib.Arg(0, lib.MASKED_EQ, flag, flag))
    # glibc falls back to clone() on ENOSYS, where the flag rules above can see the flags.
    add(lib.ERRNO(errno.ENOSYS), "clone3")
    with tempfile.TemporaryFile() as out:
        rules.export_bpf(out)
        out.seek(0)
        return out.read()

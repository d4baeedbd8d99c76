#!/usr/bin/env python3
"""Run a command under the system-call filter of a systemd unit, rebuilt with libseccomp.

usage: seccomp-exec.py UNIT -- COMMAND [ARGS...]

The unit's SystemCallFilter= lines are read in order (an allow list first, then ~ lines that
take groups or calls out of it) and groups are expanded with `systemd-analyze syscall-filter`,
so the filter is the one systemd would install on this machine. A call outside it raises
SIGSYS (rather than the unit's EPERM), so the test sees every refused call instead of a soft
failure. Native architecture only, like SystemCallArchitectures=native.
"""
import ctypes
import os
import subprocess
import sys

SCMP_ACT_TRAP = 0x00030000
SCMP_ACT_ALLOW = 0x7FFF0000


def group(name, cache={}):
    """The calls of a @group, nested groups expanded."""
    if name not in cache:
        out = subprocess.run(["systemd-analyze", "syscall-filter", name], check=True,
                             capture_output=True, text=True).stdout
        calls = set()
        for line in out.splitlines()[1:]:
            item = line.strip()
            if not item or item.startswith("#"):
                continue
            calls |= group(item) if item.startswith("@") else {item}
        cache[name] = calls
    return cache[name]


def expand(items):
    calls = set()
    for item in items:
        calls |= group(item) if item.startswith("@") else {item}
    return calls


def unit_filter(path):
    allowed = None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("SystemCallFilter="):
                continue
            value = line.split("=", 1)[1]
            if value.startswith("~"):
                if allowed is None:
                    sys.exit("a deny list first is not supported")
                allowed -= expand(value[1:].split())
            else:
                allowed = (allowed or set()) | expand(value.split())
    if not allowed:
        sys.exit("no SystemCallFilter= allow list in " + path)
    return allowed


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit(__doc__)
    allowed = unit_filter(sys.argv[1])
    lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    ctx = lib.seccomp_init(SCMP_ACT_TRAP)
    if not ctx:
        sys.exit("seccomp_init failed")
    n = 0
    for name in sorted(allowed):
        nr = lib.seccomp_syscall_resolve_name(name.encode())
        if nr < 0:
            continue  # not a call on this architecture
        if lib.seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) == 0:
            n += 1
    # execve itself must pass the filter: it is in @process, part of @system-service.
    if lib.seccomp_load(ctx) != 0:
        sys.exit("seccomp_load failed")
    print(f"seccomp-exec: {n} system calls allowed", file=sys.stderr)
    os.execvp(sys.argv[3], sys.argv[3:])


main()

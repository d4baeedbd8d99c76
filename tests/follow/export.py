#!/usr/bin/env python3
"""Journal export format for systemd-journal-remote, for the follow tests.
usage: export.py BOOT_ID FIRST KIND:COUNT...   (KIND: charon, kernel, sshd)
Entry number i (from FIRST on) gets realtime 1764438000 s + i s and monotonic i s + 1 us,
so timestamps increase across calls that continue the numbering. charon entries establish
IKE_SA site-a[i] with peer 198.51.100.7 on host moon."""
import sys

boot, first = sys.argv[1], int(sys.argv[2])
out = sys.stdout.buffer
i = first
for spec in sys.argv[3:]:
    kind, count = spec.split(":")
    for _ in range(int(count)):
        f = {"__REALTIME_TIMESTAMP": str(1764438000000000 + i * 1000000),
             "__MONOTONIC_TIMESTAMP": str(i * 1000000 + 1), "_BOOT_ID": boot, "_HOSTNAME": "moon"}
        if kind == "charon":
            f.update(SYSLOG_IDENTIFIER="charon", _TRANSPORT="syslog", _PID="1000",
                     MESSAGE=f"09[IKE] <site-a|{i}> IKE_SA site-a[{i}] established between "
                             f"192.0.2.1[moon]...198.51.100.7[sun]")
        elif kind == "kernel":
            f.update(SYSLOG_IDENTIFIER="kernel", _TRANSPORT="kernel",
                     MESSAGE=f"XFRM: replay check failed for SPI 0x{i:08x}")
        else:
            f.update(SYSLOG_IDENTIFIER="sshd", _TRANSPORT="syslog", _PID="22",
                     MESSAGE="Accepted publickey for root from 192.0.2.9 port 50000 ssh2")
        for k, v in f.items():
            out.write(f"{k}={v}\n".encode())
        out.write(b"\n")
        i += 1

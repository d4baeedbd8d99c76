#!/usr/bin/env python3
"""Print the kernel's audit 'enabled' flag (0/1/2) via NETLINK_AUDIT (AUDIT_GET), or '-' when
it cannot be read (no audit support, no permission). The journald test checks that it is the
same before and after, since a journald started the wrong way turns auditing off."""
import socket, struct, sys

NETLINK_AUDIT, AUDIT_GET, NLM_F_REQUEST = 9, 1000, 1
try:
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_AUDIT)
    s.settimeout(2)
    s.send(struct.pack("=IHHII", 16, AUDIT_GET, NLM_F_REQUEST, 1, 0))
    while True:
        data = s.recv(8192)
        length, mtype = struct.unpack_from("=IH", data)
        if mtype == AUDIT_GET:  # payload: struct audit_status { u32 mask, enabled, ... }
            print(struct.unpack_from("=II", data, 16)[1])
            break
        if mtype == 2 and struct.unpack_from("=i", data, 16)[0] != 0:  # NLMSG_ERROR with an error
            print("-")
            break
except OSError:
    print("-")

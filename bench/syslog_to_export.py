#!/usr/bin/env python3
"""RFC 3164 syslog lines -> journal export format, for a benchmark journal file:

    python3 syslog_to_export.py IN.log YEAR | /lib/systemd/systemd-journal-remote -o OUT.journal -

Each line becomes one entry with the fields journald itself would store for it: MESSAGE,
SYSLOG_IDENTIFIER, _PID, _HOSTNAME, _TRANSPORT (kernel for "kernel:" lines, else syslog),
PRIORITY and the timestamps (classic syslog has no year and no zone: YEAR and UTC are used).
systemd-journal-remote drops an entry without __REALTIME_TIMESTAMP.
"""
import calendar
import re
import sys

LINE = re.compile(r'^(\w{3}) ([ \d]\d) (\d\d):(\d\d):(\d\d) (\S+) ([^:\[\s]+)(?:\[(\d+)\])?: (.*)$')
MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
BOOT = "5f1d0a2e6c3b4a8f9e7d6c5b4a392817"


def main():
    src, year = sys.argv[1], int(sys.argv[2])
    out = sys.stdout.buffer
    buf = []
    seq = 0
    with open(src, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            m = LINE.match(line.rstrip("\n"))
            if not m:
                continue
            mon, day, hh, mm, ss, host, prog, pid, msg = m.groups()
            t = calendar.timegm((year, MONTHS[mon], int(day), int(hh), int(mm), int(ss)))
            seq += 1
            usec = t * 1000000 + seq % 1000000  # distinct, ordered within a second
            kernel = prog == "kernel"
            fields = ["__REALTIME_TIMESTAMP=%d" % usec, "__MONOTONIC_TIMESTAMP=%d" % seq, "_BOOT_ID=" + BOOT,
                      "_HOSTNAME=" + host, "SYSLOG_IDENTIFIER=" + prog,
                      "_TRANSPORT=" + ("kernel" if kernel else "syslog"), "PRIORITY=" + ("4" if kernel else "6")]
            if pid:
                fields.append("_PID=" + pid)
            fields.append("MESSAGE=" + msg)
            buf.append("\n".join(fields) + "\n\n")
            if len(buf) == 10000:
                out.write("".join(buf).encode("utf-8", "surrogateescape"))
                buf = []
    out.write("".join(buf).encode("utf-8", "surrogateescape"))


if __name__ == "__main__":
    main()

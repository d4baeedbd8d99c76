#!/usr/bin/env python3
"""Write journal entries in the journal export format on stdout, for
   python3 journal_export.py json FILE            | systemd-journal-remote -o OUT.journal -
   python3 journal_export.py filelog FILE HOST YEAR [FIRST] | systemd-journal-remote -o OUT.journal -
   python3 journal_export.py syslog DAEMON AUTH YEAR | systemd-journal-remote -o OUT.journal -

json:    FILE holds `journalctl -o json` lines; every field is written back as it was
         (__CURSOR is not a field and is left out).
filelog: FILE holds charon file-logger lines ("Nov 29 17:51:52 09[IKE] <con1|1> msg"); each
         becomes the entry charon-systemd's journal logger writes for that message: MESSAGE
         without the thread/group/SA prefix, and the fields GROUP, THREAD, IKE_SA_NAME,
         IKE_SA_UNIQUE_ID (times are UTC, the year is given). Entries are numbered from FIRST
         (default 1), their monotonic time: give the next number to append to a journal.
syslog:  DAEMON and AUTH hold the lines charon's two default syslog loggers wrote
         ("Nov 29 17:51:52 moon charon: 09[IKE] msg"; AUTH may be - for none): each line
         becomes the entry journald stores for a syslog message of charon (MESSAGE with the
         "NN[GRP] " prefix, SYSLOG_FACILITY 3 for daemon and 10 for auth, one pid), and
         each auth line comes right after its daemon twin, as charon writes them (an auth
         line with no twin left in DAEMON comes where its time puts it).
Values with a newline use the binary form NAME\\n<u64 LE length><bytes>\\n."""
import calendar, json, re, struct, sys

out = sys.stdout.buffer


def field(k, v):
    b = v if isinstance(v, bytes) else str(v).encode()
    if b"\n" in b:
        out.write(k.encode() + b"\n" + struct.pack("<Q", len(b)) + b + b"\n")
    else:
        out.write(k.encode() + b"=" + b + b"\n")


def from_json(path):
    for line in open(path, encoding="utf-8"):
        if not line.strip():
            continue
        entry = json.loads(line)
        for k, v in entry.items():
            if k == "__CURSOR":
                continue
            if isinstance(v, list):  # journalctl writes non-UTF-8 values as byte arrays
                v = bytes(v)
            field(k, v)
        out.write(b"\n")


MONTHS = {m: i for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                                       "Sep", "Oct", "Nov", "Dec"], 1)}
FILELOG = re.compile(r"^(\w{3}) +(\d+) (\d\d):(\d\d):(\d\d) (\d\d)\[([A-Z]{3})\] (?:<(?:([^|>]*)\|)?(\d+)> )?(.*)$")


def from_filelog(path, host, year, first=1):
    seq = first - 1
    for line in open(path, encoding="utf-8", errors="surrogateescape"):
        m = FILELOG.match(line.rstrip("\n"))
        if not m:
            continue
        mon, day, hh, mm, ss, thread, group, name, uid, msg = m.groups()
        t = calendar.timegm((year, MONTHS[mon], int(day), int(hh), int(mm), int(ss), 0, 0, 0))
        seq += 1
        field("__REALTIME_TIMESTAMP", t * 1000000)
        field("__MONOTONIC_TIMESTAMP", seq)  # entries of one second keep their order
        field("_BOOT_ID", "0123456789abcdef0123456789abcdef")
        field("_HOSTNAME", host)
        field("_TRANSPORT", "journal")
        field("SYSLOG_IDENTIFIER", "charon-systemd")
        field("MESSAGE", msg)
        field("GROUP", group)
        field("THREAD", str(int(thread)))
        field("LEVEL", "1")
        if name:
            field("IKE_SA_NAME", name)
        if uid:
            field("IKE_SA_UNIQUE_ID", uid)
        out.write(b"\n")


SYSLOG = re.compile(r"^(\w{3}) +(\d+) (\d\d):(\d\d):(\d\d) (\S+) ([^:\[]+)(?:\[(\d+)\])?: (.*)$")


def syslog_lines(path, year):
    """(time, host, identifier, message) per line of a classic syslog file."""
    if path == "-":
        return []
    rows = []
    for line in open(path, encoding="utf-8", errors="surrogateescape"):
        m = SYSLOG.match(line.rstrip("\n"))
        if m:
            mon, day, hh, mm, ss, host, ident, _, msg = m.groups()
            t = calendar.timegm((year, MONTHS[mon], int(day), int(hh), int(mm), int(ss), 0, 0, 0))
            rows.append((t, host, ident, msg))
    return rows


def from_syslog(daemon, auth, year):
    entries = [(row, 3) for row in syslog_lines(daemon, year)]
    for row in syslog_lines(auth, year):
        twin = next((i for i, (r, fac) in enumerate(entries)
                     if fac == 3 and r == row and not (i + 1 < len(entries) and entries[i + 1] == (row, 10))),
                    None)
        if twin is None:
            at = next((i for i, (r, _) in enumerate(entries) if r[0] > row[0]), len(entries))
            entries.insert(at, (row, 10))
        else:
            entries.insert(twin + 1, (row, 10))
    for seq, ((t, host, ident, msg), fac) in enumerate(entries):
        field("__REALTIME_TIMESTAMP", t * 1000000)  # one file: entries keep the order written
        field("__MONOTONIC_TIMESTAMP", seq + 1)
        field("_BOOT_ID", "0123456789abcdef0123456789abcdef")
        field("_HOSTNAME", host)
        field("_TRANSPORT", "syslog")
        field("_PID", "4242")
        field("SYSLOG_IDENTIFIER", ident)
        field("SYSLOG_FACILITY", str(fac))
        field("PRIORITY", "6")
        field("MESSAGE", msg)
        out.write(b"\n")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "json":
        from_json(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "syslog":
        from_syslog(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif len(sys.argv) in (5, 6) and sys.argv[1] == "filelog":
        from_filelog(sys.argv[2], sys.argv[3], int(sys.argv[4]), *map(int, sys.argv[5:]))
    else:
        sys.exit(__doc__)

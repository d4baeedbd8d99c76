#!/usr/bin/env python3
"""Strict reader of a Prometheus text 0.0.4 exposition, for tests/hostile.sh.

Fails (exit 1, reason on stderr) unless the whole input is valid UTF-8, ends with a newline,
every line is a HELP or TYPE comment or one well-formed sample, label values use no escape
but \\\\ \\" \\n, every sample belongs to the family of the TYPE line before it, and all
samples of a family carry the same label names. Then prints, one per line:
  lines N | samples N | series:FAMILY N | sum:FAMILY X | labels:FAMILY a,b
(sum: of the values; for a histogram, of its _count samples).
usage: expo_check.py FILE
"""
import re
import sys

NAME = rb'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = rb'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"'
SAMPLE = re.compile(rb'(' + NAME + rb')(?:\{((?:' + LABEL + rb')(?:,' + LABEL + rb')*)?\})? (\S+)( -?\d+)?')
LABEL_RE = re.compile(LABEL)


def die(msg):
    sys.stderr.write('expo_check: %s\n' % msg)
    sys.exit(1)


def main():
    data = open(sys.argv[1], 'rb').read()
    try:
        data.decode('utf-8', 'strict')
    except UnicodeDecodeError as e:
        die('not UTF-8: %s' % e)
    if data and not data.endswith(b'\n'):
        die('no final newline')
    lines = data.split(b'\n')[:-1] if data else []
    fam, ftype = None, None
    series, sums, labels = {}, {}, {}
    nsamples = 0
    for no, line in enumerate(lines, 1):
        if line.startswith(b'# HELP '):
            continue
        if line.startswith(b'# TYPE '):
            parts = line.split(b' ')
            if len(parts) != 4 or parts[3] not in (b'counter', b'gauge', b'histogram', b'summary', b'untyped'):
                die('line %d: bad TYPE line %r' % (no, line))
            fam, ftype = parts[2].decode(), parts[3].decode()
            if fam in series:
                die('line %d: family %s twice' % (no, fam))
            series[fam], sums[fam] = 0, 0.0
            continue
        m = SAMPLE.fullmatch(line)
        if not m:
            die('line %d: not a sample: %r' % (no, line[:300]))
        if fam is None:
            die('line %d: sample before any TYPE' % no)
        name = m.group(1).decode()
        suffix = name[len(fam):] if name.startswith(fam) else None
        allowed = ('_bucket', '_sum', '_count') if ftype == 'histogram' else ('',)
        if suffix not in allowed:
            die('line %d: sample %s outside family %s' % (no, name, fam))
        names = [n.decode() for n, _ in LABEL_RE.findall(m.group(2) or b'')]
        if suffix == '_bucket':
            if not names or names[-1] != 'le':
                die('line %d: bucket without le' % no)
            names = names[:-1]
        if labels.setdefault(fam, names) != names:
            die('line %d: labels %s, family %s has %s' % (no, names, fam, labels[fam]))
        if len(set(names)) != len(names):
            die('line %d: a label twice' % no)
        value = float(m.group(7))
        nsamples += 1
        if ftype != 'histogram' or suffix == '_count':
            series[fam] += 1
            sums[fam] += value
    print('lines %d' % len(lines))
    print('samples %d' % nsamples)
    for f in series:
        print('series:%s %d' % (f, series[f]))
        print('sum:%s %s' % (f, ('%.17g' % sums[f])))
        print('labels:%s %s' % (f, ','.join(labels.get(f, []))))


main()

#!/usr/bin/env python3
"""Hostile log lines for tests/hostile.sh, written to stdout as bytes.

  gen.py ids N        N charon lines whose IKE_SA name and peer identity (what the shipped
                      rules capture into labels) carry quotes, backslashes, escapes, NUL,
                      control bytes and invalid UTF-8, each made unique by its index; then N
                      retransmit lines whose <name|uid> prefix does the same; then noise that
                      must match nothing (random bytes, no newline inside)
  gen.py capture N    N lines "<i><hostile text>" for tests/hostile/capture.yaml
  gen.py peers N      N IKE_SAs established with N distinct peers, then two retransmits
                      (the first and the last IKE_SA)
  gen.py nearmiss N   N long lines on which a backtracking pattern almost matches
"""
import random
import sys

out = sys.stdout.buffer

# Bytes that must not break the exposition. No whitespace: the shipped patterns stop there.
NASTY = [
    b'x"y\\z', b'\\n', b'\\"', b'"}', b'}1', b'{a="b"}', b'\x00', b'a\x00b', b'\x01\x02\x1b(B\x7f',
    b'\xff', b'\xfe\xff', b'\xc3\x28', b'\xc0\xaf', b'\xed\xa0\x80', b'\xf4\x90\x80\x80', b'\xe2\x82',
    b'\xc3\xa9\xf0\x9f\x94\x91', b'#', b'#HELP', b'=', b',', b'\\', b'\\\\\\', b'"', b'""',
]
# For the capture ruleset: anything but a newline (the line's end), including CR and tabs.
TEXT = NASTY + [b'} 1', b'# HELP x y', b'\x1b[31m[', b'a\rb', b'\t"\\n"\t', b' # TYPE x counter', b'\r', b'\x0b\x0c', b'"} 1\x00evil 2']


def ids(n):
    for i in range(n):
        bad = NASTY[i % len(NASTY)] + NASTY[(i * 7 + 3) % len(NASTY)]
        conn = b'c%d' % i + bad
        peer = b'p%d' % i + bad
        out.write(b'Nov 29 17:55:01 moon charon: 16[IKE] IKE_SA ' + conn + b'[%d] established between '
                  b'198.18.1.1[moon]...' % (i + 1) + peer + b'[sun' + bad + b']\n')
    for i in range(n):
        bad = NASTY[i % len(NASTY)] + b' ' + NASTY[(i * 5 + 1) % len(NASTY)]
        # the prefix name may hold spaces too: charon prints the config name as it is
        out.write(b'Nov 29 17:55:02 moon charon: 16[IKE] <r%d' % i + bad +
                  b'|%d> retransmit 1 of request with message ID 2\n' % (100000 + i))
    rnd = random.Random(7)
    for i in range(2000):
        line = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 300))).replace(b'\n', b'')
        out.write(line + b'\n')


def capture(n):
    for i in range(n):
        text = TEXT[i % len(TEXT)] + b'|' + TEXT[(i * 3 + 1) % len(TEXT)]
        out.write(b'%d' % i + text + b'\n')


def peers(n):
    for i in range(1, n + 1):
        out.write(b'Nov 29 %02d:%02d:%02d moon charon: 16[IKE] IKE_SA con%d[%d] established between '
                  b'198.18.0.1[moon]...10.%d.%d.%d[peer]\n'
                  % (i // 3600 % 24, i // 60 % 60, i % 60, i % 7, i, i >> 16, (i >> 8) & 255, i & 255))
    for i in (1, n):
        out.write(b'Nov 29 23:59:59 moon charon: 16[IKE] <con%d|%d> retransmit 1 of request with message ID 2\n'
                  % (i % 7, i))


def nearmiss(n):
    for i in range(n):
        out.write(b'a' * 4000 + b'b\n')
        out.write(b'word ' * 800 + b'!\n')


{'ids': ids, 'capture': capture, 'peers': peers, 'nearmiss': nearmiss}[sys.argv[1]](int(sys.argv[2]))

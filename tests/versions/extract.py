#!/usr/bin/env python3
"""Regenerate formats.tsv: the charon format strings the shipped rules count, per release.

This script is NOT run by the tests: tests/charon_versions.sh reads the committed
formats.tsv, so the tests need no strongSwan source. Run it again (and review the diff)
to add releases or messages:

    python3 tests/versions/extract.py STRONGSWAN_GIT_DIR > tests/versions/formats.tsv

STRONGSWAN_GIT_DIR is a clone (bare or not) of https://github.com/strongswan/strongswan
with its release tags. For every tag of TAGS it reads the C sources of charon, parses every
DBG0/DBG1 call (adjacent string literals joined, a macro such as VERSION written as
{VERSION}) and keeps the formats whose text matches one of KEYS. Output columns (tab
separated): message key, first tag, last tag of a run of consecutive TAGS with that format,
the format string. A format that is absent in some release in between gets several rows.
"""
import re
import subprocess
import sys

# Releases 5.3.0 .. 6.0.6 (no dr/rc/beta tags), oldest first.
TAGS = """5.3.0 5.3.1 5.3.2 5.3.3 5.3.4 5.3.5 5.4.0 5.5.0 5.5.1 5.5.2 5.5.3 5.6.0 5.6.1 5.6.2
5.6.3 5.7.0 5.7.1 5.7.2 5.8.0 5.8.1 5.8.2 5.8.3 5.8.4 5.9.0 5.9.1 5.9.2 5.9.3 5.9.4 5.9.5
5.9.6 5.9.7 5.9.8 5.9.9 5.9.10 5.9.11 5.9.12 5.9.13 5.9.14 6.0.0 6.0.1 6.0.2 6.0.3 6.0.4
6.0.5 6.0.6""".split()

# Source trees holding the messages (charon's daemon, IKE code, kernel interfaces, credentials).
PATHS = ["src/charon", "src/charon-systemd", "src/libcharon/sa", "src/libcharon/processing",
         "src/libcharon/network", "src/libcharon/encoding", "src/libcharon/kernel",
         "src/libcharon/plugins/kernel_netlink", "src/libcharon/plugins/kernel_libipsec",
         "src/libhydra/plugins/kernel_netlink", "src/libstrongswan/plugins/plugin_loader.c",
         "src/libcharon/plugins/eap_identity", "src/libstrongswan/credentials",
         "src/libstrongswan/plugins/revocation", "src/libcharon/daemon.c"]

# message key -> pattern on the format string (the events of the metric contract and the
# lines the rules use to tie a message to its IKE_SA).
KEYS = [
    ("daemon_start", r"^Starting (?:IKE charon|charon-systemd IKE) daemon"),
    ("daemon_stop", r"^(?:(?:%s|SIGTERM|SIGINT) received, shutting down|signal of type SIG(?:INT|TERM) received)"),
    ("plugins_loaded", r"^loaded plugins: %s"),  # a dbg() call: see LOADED below
    ("packet_received", r"^received packet: from"),
    ("packet_sent", r"^sending packet: from"),
    ("message_parsed", r"^parsed %s$"),
    ("message_generated", r"^generating %s$"),
    ("ike_initiate", r"^initiating (?:(?:Main|Aggressive) Mode )?IKE_SA %s\["),
    ("ike_init_received", r"^%H is initiating "),
    ("peer_config_selected", r"^selected peer config '%s'$"),
    ("ike_established", r"^IKE_SA %s\[%\w+\] established between"),
    ("ike_rekeyed", r"^IKE_SA %s\[%\w+\] rekeyed between"),
    ("ike_reauth", r"^reauthenticating IKE_SA %s\["),
    ("ike_reinitiate", r"^reinitiating IKE_SA %s\["),
    ("ike_deleting", r"^deleting IKE_SA %s\["),
    ("ike_delete_sent", r"^sending DELETE for IKE_SA"),
    ("ike_delete_received", r"^received DELETE for IKE_SA"),
    ("ike_deleted", r"^IKE_SA deleted$"),
    ("ike_duplicate", r"duplicate IKE_SA for peer"),
    ("ike_half_open_timeout", r"^deleting half open IKE_SA"),
    ("ike_failed_peer_not_responding", r"^establishing IKE_SA failed, peer not responding"),
    ("ike_rekey_failed", r"^(?:IKE_SA rekeying failed|rekeying IKE_SA failed|reauthenticating IKE_SA failed|reauthentication failed)"),
    ("retransmit", r"^(?:sending )?retransmit %"),
    ("retransmit_giveup", r"^giving up after"),
    ("dpd_request", r"^sending DPD request"),
    ("dpd_timeout", r"^DPD check timed out"),
    ("notify_error_received", r"^received %N (?:notify error|error notify)"),
    ("notify_child_failed", r"^received %N notify, no CHILD_SA built"),
    ("no_ike_config", r"^no IKE config found"),
    ("no_peer_config", r"^no matching peer config found"),
    ("proposal_none", r"^no acceptable proposal found"),
    ("proposals_unacceptable", r"^received proposals (?:un|in)acceptable"),
    ("auth_failed", r"^(?:tried %\w+ shared key|no shared key found|no trusted %N public key|EAP method %N failed|XAuth authentication of .* failed|.*authentication of .* failed)"),
    ("cert_error", r"^(?:%s certificate invalid|no issuer certificate found|certificate status is not available|certificate was revoked|certificate status is unknown)"),
    ("child_initiate", r"^establishing CHILD_SA %s"),
    ("child_established", r"^(?:%s|inbound |outbound )?CHILD_SA %s\{%\w+\} established with SPIs"),
    ("child_closing", r"^closing (?:expired )?CHILD_SA %s"),
    ("child_rekey_detected", r"^detected rekeying of CHILD_SA"),
    ("child_rekey_failed", r"^CHILD_SA rekeying failed"),
    ("child_failed", r"^(?:failed to establish CHILD_SA|closing IKE_SA due CHILD_SA setup failure)"),
    ("ts_unacceptable", r"^(?:traffic selectors .* (?:un|in)acceptable|no acceptable traffic selectors found)"),
    ("child_install_failed", r"^unable to install .*in kernel$"),
    ("kernel_sa_failed", r"^unable to (?:add|update|delete) SAD entry"),
    ("kernel_policy_failed", r"^unable to (?:%s|add|update|delete) policy %R"),
    ("kernel_route_failed", r"^(?:error installing route|installing route failed)"),
    # 5.9.9 on: DBG1(DBG_KNL, "%s: %s (%d)", prefix, ...), prefix "received netlink error"
    ("kernel_netlink_error", r"^(?:received netlink error|%s: %s \(%d\)$)"),
]
KEYS = [(k, re.compile(p)) for k, p in KEYS]

# DBG0(DBG_IKE, "text" MACRO "text", ...) (and the plugin loader's dbg(DBG_LIB, level, ...)):
# group 1 = level, group 2 = the literal run
CALL = re.compile(r'\b(?:DBG([01])\(\s*DBG_\w+\s*,|dbg\(DBG_LIB, level,)\s*((?:"(?:[^"\\\n]|\\.)*"\s*|[A-Z][A-Z0-9_]*\s*)+)[,)]')
PIECE = re.compile(r'"((?:[^"\\\n]|\\.)*)"|([A-Z][A-Z0-9_]*)')


def git(repo, *args, data=None):
    return subprocess.run(["git", "-C", repo, *args], input=data, capture_output=True,
                          check=True).stdout


def formats(text):
    """Every DBG0/DBG1 format string of one C file."""
    for m in CALL.finditer(text):
        out = []
        for lit, macro in PIECE.findall(m.group(2)):
            out.append("{%s}" % macro if macro else lit.replace('\\"', '"'))
        yield "".join(out)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: extract.py STRONGSWAN_GIT_DIR > tests/versions/formats.tsv")
    repo = sys.argv[1]
    cache = {}                       # blob -> formats
    seen = {}                        # (key, fmt) -> [tag index, ...]
    for i, tag in enumerate(TAGS):
        listing = git(repo, "ls-tree", "-r", tag, "--", *PATHS).decode()
        blobs = [line.split()[2] for line in listing.splitlines()
                 if line.endswith(".c") and line.split()[1] == "blob"]
        todo = [b for b in blobs if b not in cache]
        if todo:
            out = git(repo, "cat-file", "--batch", data="\n".join(todo).encode() + b"\n")
            pos = 0
            for b in todo:
                nl = out.index(b"\n", pos)
                size = int(out[pos:nl].split()[2])
                body = out[nl + 1:nl + 1 + size].decode("utf-8", "replace")
                pos = nl + 1 + size + 1
                cache[b] = list(formats(body))
        found = set()
        for b in blobs:
            for fmt in cache[b]:
                for key, rx in KEYS:
                    if rx.search(fmt):
                        found.add((key, fmt))
                        break
        for kf in found:
            seen.setdefault(kf, []).append(i)
    order = {k: n for n, (k, _) in enumerate(KEYS)}
    rows = []
    for (key, fmt), idx in seen.items():
        start = prev = idx[0]
        for j in idx[1:] + [None]:
            if j is not None and j == prev + 1:
                prev = j
                continue
            rows.append((order[key], start, key, TAGS[start], TAGS[prev], fmt))
            if j is not None:
                start = prev = j
    rows.sort()
    print("# key\tfirst\tlast\tformat  (generated by tests/versions/extract.py; releases %s..%s)"
          % (TAGS[0], TAGS[-1]))
    for _, _, key, first, last, fmt in rows:
        print("\t".join((key, first, last, fmt)))


main()

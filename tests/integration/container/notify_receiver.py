#!/usr/bin/env python3
"""notify_receiver.py SOCKET LOG [SECONDS]: an sd_notify receiver standing in for systemd.

Binds a unix datagram socket at SOCKET and appends every datagram it receives to LOG, one
line per datagram (its newlines shown as '|'), until SECONDS (default 120) pass without one,
or until it is killed. run.sh waits for SOCKET to exist before pointing anyone at it."""
import socket
import sys

path, log = sys.argv[1], sys.argv[2]
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 120.0
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(seconds)
with open(log, "a", buffering=1) as out:
    while True:
        try:
            data = s.recv(65536)
        except socket.timeout:
            break
        out.write(data.decode(errors="replace").replace("\n", "|") + "\n")

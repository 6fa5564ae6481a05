#!/usr/bin/python3
# client.py PORT            -> prints the server's first line ("hello from PID"), or "refused"/"error: ..."
# client.py PORT STOPFILE   -> connects every 20 ms until STOPFILE exists, then prints
#                              "served=N failed=M pids=P1,P2,..." (pids in order of first answer)
import socket, sys, os, time


def once(port):
    try:
        with socket.create_connection(("127.0.0.1", int(port)), timeout=10) as c:
            c.settimeout(10)
            data = b""
            while not data.endswith(b"\n"):
                chunk = c.recv(100)
                if not chunk:
                    break
                data += chunk
            return data.decode().strip() or "error: empty answer"
    except ConnectionRefusedError:
        return "refused"
    except OSError as e:
        return "error: %s" % e


if len(sys.argv) == 2:
    print(once(sys.argv[1]))
    sys.exit(0)
served, failed, pids, errors = 0, 0, [], []
deadline = time.monotonic() + 60
while not os.path.exists(sys.argv[2]) and time.monotonic() < deadline:
    answer = once(sys.argv[1])
    if answer.startswith("hello from "):
        served += 1
        pid = answer.split()[-1]
        if pid not in pids:
            pids.append(pid)
    else:
        failed += 1
        errors.append(answer)
    time.sleep(0.02)
print("served=%d failed=%d pids=%s %s" % (served, failed, ",".join(pids), " ".join(errors[:3])))

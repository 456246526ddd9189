"""A stand-in for torchrun in process tests: workers in sessions of their own, like torch elastic.

usage: fake_torchrun.py PIDFILE MODE   (MODE: wait | stubborn | orphan)
  wait      workers sleep; the parent waits for them
  stubborn  workers ignore SIGTERM and SIGINT (only SIGKILL stops them)
  orphan    the parent exits right away, leaving its workers behind
"""

import os
import subprocess
import sys
import time

WORKER = """
import os, signal, sys, time
if sys.argv[1] == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
print("worker ready", os.getpid(), flush=True)
time.sleep(600)
"""

pidfile, mode = sys.argv[1], sys.argv[2]
workers = [subprocess.Popen([sys.executable, "-c", WORKER, mode], start_new_session=True) for _ in range(2)]
with open(pidfile, "w") as f:
    f.write(" ".join(str(p) for p in [os.getpid(), *(w.pid for w in workers)]))
if mode == "orphan":
    time.sleep(0.5)
    print("parent exits", flush=True)
    sys.exit(1)
for w in workers:
    w.wait()

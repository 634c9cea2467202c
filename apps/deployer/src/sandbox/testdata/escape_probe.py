"""Run as a RUN step by build-sandbox.test.ts: tries each way out of a build and prints what happened.

Argument: JSON {"targets": [[name, host, port], ...], "host_pid": int, "threads": int, "busy_seconds": float}.
Prints one line: PROBE <json>.
"""
import errno
import json
import os
import socket
import sys
import threading
import time

config = json.loads(sys.argv[1])
result = {}


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        return 'ERR %s' % errno.errorcode.get(e.errno, e.errno)


status = read('/proc/self/status')
result['uid'] = os.getuid()
result['uid_map'] = ' '.join(read('/proc/self/uid_map').split())
result['cap_eff'] = next((l.split()[1] for l in status.splitlines() if l.startswith('CapEff')), None)
result['pids_visible'] = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
result['host_environ'] = read('/proc/%d/environ' % config['host_pid'])[:40]
try:
    os.mknod('/probe-null', 0o020666, os.makedev(1, 3))
    result['mknod'] = 'created'
except OSError as e:
    result['mknod'] = errno.errorcode.get(e.errno, str(e.errno))

connections = {}
for name, host, port in config['targets']:
    try:
        s = socket.create_connection((host, port), timeout=3)
        s.close()
        connections[name] = 'connected'
    except OSError as e:
        connections[name] = errno.errorcode.get(e.errno, str(e)) if e.errno else 'timeout'
result['connections'] = connections

started = []
stop = threading.Event()
for _ in range(config['threads']):
    try:
        t = threading.Thread(target=stop.wait)
        t.start()
        started.append(t)
    except RuntimeError:
        break
result['threads_started'] = len(started)
stop.set()
for t in started:
    t.join()

# Two processes spinning for busy_seconds of wall time: the CPU time they got shows the CPU quota.
busy = config.get('busy_seconds', 0)
if busy:
    wall_start = time.time()
    children = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:
            end = time.time() + busy
            while time.time() < end:
                pass
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
    times = os.times()
    result['busy_wall'] = time.time() - wall_start
    result['busy_cpu'] = times.children_user + times.children_system

print('PROBE ' + json.dumps(result), flush=True)

#!/usr/bin/env python3
"""Hold N TCP sockets open on loopback inside a network namespace (benchmark fixture).

Usage: sockets-holder.py --netns NAME --count N [--max-lifetime SECONDS] [--ignore-stdin]

Layout of the N sockets (all on loopback, all TCP):
  * L listeners: most on 127.0.0.1, a couple on ::1 (L is 8 or 9, more only if
    net.core.somaxconn is too small to queue the children, see below);
  * P client sockets that connect to the listeners round-robin (ESTABLISHED);
  * P server-side children of those connections, which are never accept()ed: they
    sit in the listeners' accept queues as full ESTABLISHED sockets *without* fds.
  so N = L + 2*P. Only the P client fds need a file descriptor. RLIMIT_NOFILE has a
  hard limit of 20,000 per process here, so the clients are spread over several forked
  worker processes (at most --per-worker fds each, default 16,000).

The holder enters the namespace itself (setns on /run/netns/NAME, ctypes on Python 3.11),
and there (only when --netns is given) raises net.core.somaxconn to 65535 and widens
net.ipv4.ip_local_port_range, both per-netns sysctls.

Prints "ready N" (N = sockets created) on stdout once everything is connected, then holds
until SIGTERM/SIGINT, until stdin is closed (unless --ignore-stdin), or until
--max-lifetime seconds have passed (default 900), whichever comes first. (With stdin
on /dev/null, pass --ignore-stdin, or it stops at once.) On the way out the
workers close their clients with SO_LINGER{1,0} (RST, so nothing lingers in TIME_WAIT) and
the listeners are closed, which frees the queued children. Exit code 0 on a normal stop,
1 on a setup error (message on stderr, prefixed "holder:").

Standard library only.
"""

import argparse
import ctypes
import errno
import math
import os
import resource
import select
import signal
import socket
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1
V4_LISTENERS = 6
V6_LISTENERS = 2
BASE_PORT = 7100  # listener ports: BASE_PORT, BASE_PORT+1, ... (outside the widened ephemeral range)
LINGER_RST = struct.pack("ii", 1, 0)


def log(msg):
    sys.stderr.write("holder: %s\n" % msg)
    sys.stderr.flush()


class Stop(Exception):
    pass


def _raise_stop(signum, _frame):
    raise Stop(signal.Signals(signum).name)


def enter_netns(name):
    path = name if name.startswith("/") else os.path.join("/run/netns", name)
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if hasattr(os, "setns"):  # Python >= 3.12
            os.setns(fd, CLONE_NEWNET)
        else:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.setns(fd, CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, "setns(%s): %s" % (path, os.strerror(e)))
    finally:
        os.close(fd)


def read_sysctl(path, default):
    try:
        with open(path) as f:
            return f.read().split()
    except OSError:
        return default


def write_sysctl(path, value):
    try:
        with open(path, "w") as f:
            f.write(value)
        return True
    except OSError as e:
        log("cannot set %s=%s (%s)" % (path, value, e.strerror))
        return False


def tune_netns():
    """Per-netns sysctls; only ever called after entering the test namespace."""
    write_sysctl("/proc/sys/net/core/somaxconn", "65535")
    write_sysctl("/proc/sys/net/ipv4/ip_local_port_range", "10000 65000")


def set_pdeathsig(sig):
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except Exception:  # best effort; the lifetime alarm is the backstop
        pass


def plan(count, somaxconn):
    """Return (listener addresses, backlog, pairs) so that listeners + 2*pairs == count."""
    cap = max(1, min(somaxconn, 65535) - 1)  # children one listener can queue (keep 1 spare)
    n_listen = V4_LISTENERS + V6_LISTENERS
    if count < n_listen:
        n_listen = max(1, count)
    while True:
        if (count - n_listen) % 2:
            n_listen += 1  # parity: one more listener so the rest splits into pairs
        pairs = (count - n_listen) // 2
        if pairs <= n_listen * cap:
            break
        n_listen = int(math.ceil(pairs / cap))  # somaxconn too small: more listeners
    n_v6 = min(V6_LISTENERS, max(0, n_listen - 1)) if socket.has_ipv6 else 0
    addrs = []
    for i in range(n_listen):
        port = BASE_PORT + i
        if i >= n_listen - n_v6:
            addrs.append((socket.AF_INET6, ("::1", port)))
        else:
            addrs.append((socket.AF_INET, ("127.0.0.1", port)))
    backlog = min(somaxconn, 65535)
    return addrs, backlog, pairs


def worker(wfd, addrs, first, n, deadline, connect_timeout):
    """Child process: connect clients first..first+n-1 (client i -> listener i % L) and hold them."""
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, _raise_stop)
    signal.signal(signal.SIGALRM, _raise_stop)
    set_pdeathsig(signal.SIGTERM)
    signal.alarm(max(1, int(deadline - time.monotonic()) + 5))
    socks = []
    code = 0
    try:
        if os.getppid() == 1:
            raise Stop("parent gone")
        nl = len(addrs)
        for i in range(first, first + n):
            fam, addr = addrs[i % nl]
            s = socket.socket(fam, socket.SOCK_STREAM)
            socks.append(s)
            s.settimeout(connect_timeout)
            s.connect(addr)
        os.write(wfd, b"ok %d\n" % len(socks))
        while True:
            signal.pause()
    except Stop:
        pass
    except OSError as e:
        code = 1
        try:
            os.write(wfd, ("err client %d of %d: %s\n" % (len(socks), n, e)).encode())
        except OSError:
            pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for s in socks:
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RST)
                s.close()
            except OSError:
                pass
        os._exit(code)


def main():
    ap = argparse.ArgumentParser(description="Hold N loopback TCP sockets open in a network namespace.")
    ap.add_argument("--netns", help="namespace name (/run/netns/NAME) or path; default: stay in the current one")
    ap.add_argument("--count", type=int, required=True, help="total TCP sockets to create (>= 1)")
    ap.add_argument("--per-worker", type=int, default=16000, help="max client fds per worker process (default 16000)")
    ap.add_argument("--max-lifetime", type=float, default=900, help="exit after this many seconds (default 900)")
    ap.add_argument("--setup-timeout", type=float, default=300, help="give up if not ready after this (default 300)")
    ap.add_argument("--ignore-stdin", action="store_true", help="do not stop when stdin is closed")
    args = ap.parse_args()
    if args.count < 1 or args.count > 200_000:
        ap.error("--count must be between 1 and 200000")  # ~16k clients per loopback port pair at most
    if not 1 <= args.per_worker <= 18000:
        ap.error("--per-worker must be between 1 and 18000")

    start = time.monotonic()
    deadline = start + args.max_lifetime
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGHUP, _raise_stop)
    signal.signal(signal.SIGALRM, _raise_stop)
    signal.alarm(max(1, int(args.max_lifetime) + 1))

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    per_worker = min(args.per_worker, hard - 64) if hard != resource.RLIM_INFINITY else args.per_worker

    if args.netns:
        enter_netns(args.netns)
        tune_netns()
    somaxconn = int(read_sysctl("/proc/sys/net/core/somaxconn", ["4096"])[0])
    addrs, backlog, pairs = plan(args.count, somaxconn)

    listeners = []
    workers = {}  # pid -> read end of its status pipe
    code = 0
    try:
        for fam, addr in addrs:
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind(addr)
            s.listen(backlog)
            listeners.append(s)

        n_workers = max(1, int(math.ceil(pairs / per_worker))) if pairs else 0
        first = 0
        for w in range(n_workers):
            n = pairs // n_workers + (1 if w < pairs % n_workers else 0)
            r, wr = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                for fd in workers.values():
                    os.close(fd)
                for s in listeners:
                    s.close()  # the parent keeps the listeners; this only drops our copies
                try:
                    worker(wr, addrs, first, n, deadline, connect_timeout=10.0)
                finally:
                    os._exit(1)
            os.close(wr)
            workers[pid] = r
            first += n

        # Wait for every worker's status line.
        pending = dict((fd, pid) for pid, fd in workers.items())
        connected = 0
        setup_deadline = min(deadline, start + args.setup_timeout)
        while pending:
            left = setup_deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("setup timed out with %d worker(s) not ready" % len(pending))
            ready, _, _ = select.select(list(pending), [], [], left)
            for fd in ready:
                line = os.read(fd, 4096).decode(errors="replace").strip()
                if line.startswith("ok "):
                    connected += int(line.split()[1])
                    del pending[fd]
                else:
                    raise RuntimeError("worker %d failed: %s" % (pending[fd], line or "exited"))

        total = len(listeners) + 2 * connected
        sys.stdout.write("ready %d\n" % total)
        sys.stdout.flush()
        log("ready: %d sockets = %d listeners (backlog %d) + %d clients in %d worker(s) + %d queued children, %.1fs"
            % (total, len(listeners), backlog, connected, len(workers), connected, time.monotonic() - start))

        # Hold until stdin closes, a signal arrives, a worker dies, or the lifetime ends.
        watch = list(workers.values())
        watch_stdin = not args.ignore_stdin
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                log("max lifetime reached, exiting")
                break
            fds = watch + ([0] if watch_stdin else [])
            if not fds:
                time.sleep(min(left, 60))
                continue
            ready, _, _ = select.select(fds, [], [], left)
            if 0 in ready:
                try:
                    data = os.read(0, 4096)
                except OSError:
                    data = b""
                if not data:
                    log("stdin closed, exiting")
                    break
            dead = [fd for fd in ready if fd != 0]
            if dead:
                code = 1
                log("a worker exited unexpectedly, exiting")
                break
    except Stop as e:
        log("%s, exiting" % e)
    except (OSError, RuntimeError) as e:
        log("error: %s" % e)
        code = 1
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        signal.alarm(0)
        for pid in workers:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        reap_deadline = time.monotonic() + 20
        left_pids = set(workers)
        while left_pids and time.monotonic() < reap_deadline:
            for pid in list(left_pids):
                try:
                    done, _ = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    done = pid
                if done:
                    left_pids.discard(pid)
            if left_pids:
                time.sleep(0.05)
        for pid in left_pids:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass
        for s in listeners:
            s.close()
    return code


if __name__ == "__main__":
    sys.exit(main())

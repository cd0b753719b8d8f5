#!/usr/bin/env python3
"""Bounded loopback data flood for scripts/bench capture (stdlib; run inside the benchmark's namespace).

A receiver and a sender over 127.0.0.1 push bulk data for --seconds seconds (lo's MTU is lowered to 1500 by the
script so it is ~1500-byte packets, as on a NIC). Prints bytes moved and packets/s. The capture filter must drop
all of it except the handful of SYN/FIN segments.
"""
import argparse, socket, threading, time

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seconds', type=float, default=5.0)
    ap.add_argument('--port', type=int, default=7998)
    a = ap.parse_args()
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(('127.0.0.1', a.port))
    l.listen(1)
    got = [0]
    def rx():
        c, _ = l.accept()
        while True:
            b = c.recv(1 << 20)
            if not b:
                break
            got[0] += len(b)
        c.close()
    t = threading.Thread(target=rx)
    t.start()
    s = socket.create_connection(('127.0.0.1', a.port))
    buf = b'\0' * (1 << 18)
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        s.sendall(buf)
    s.close()
    t.join()
    l.close()
    print('bytes=%d seconds=%.1f approx_packets_per_s=%d' % (got[0], a.seconds, got[0] / 1448 / a.seconds), flush=True)

if __name__ == '__main__':
    main()

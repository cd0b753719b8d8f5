#!/usr/bin/env python3
"""Bounded reset storm for scripts/bench resets (stdlib only; run inside the benchmark's namespace, as root).

Sends bare TCP ACK segments from a raw socket to a closed port on 127.0.0.1: the kernel answers each with a RST
(tcp_v4_send_reset, reason NO_SOCKET), so the RST rate is the send rate. Runs each --rates step for --step
seconds, paced in batches, then appends "RATE" to --marks so the measuring process can cut its window there.
Prints one line per step: target, achieved rate and the namespace's TcpOutRsts delta.
"""
import argparse, socket, struct, time

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff

def out_rsts():
    lines = open('/proc/thread-self/net/snmp').read().splitlines()
    for k, v in zip(lines, lines[1:]):
        if k.startswith('Tcp:') and v.startswith('Tcp:'):
            return int(v.split()[k.split().index('OutRsts')])
    return -1

def segments(n, dport):
    out = []
    src = dst = bytes([127, 0, 0, 1])
    for i in range(n):
        sport = 20000 + i % 40000
        hdr = struct.pack('!HHIIBBHHH', sport, dport, 1, 1000 + i, 5 << 4, 0x10, 1024, 0, 0)
        pseudo = src + dst + struct.pack('!BBH', 0, 6, len(hdr))
        out.append(hdr[:16] + struct.pack('!H', csum(pseudo + hdr)) + hdr[18:])
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--rates', default='25000 50000 75000 100000 150000')
    ap.add_argument('--step', type=float, default=3.0)
    ap.add_argument('--port', type=int, default=7999)
    ap.add_argument('--marks', required=True)
    a = ap.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    segs = segments(4000, a.port)
    dest = ('127.0.0.1', 0)
    batch = 250
    for rate in [int(r) for r in a.rates.split()]:
        before = out_rsts()
        sent, t0 = 0, time.monotonic()
        end = t0 + a.step
        i = 0
        while True:
            now = time.monotonic()
            if now >= end:
                break
            due = int((now - t0) * rate)
            if sent >= due:
                time.sleep(min(0.001, end - now))
                continue
            for _ in range(min(batch, due - sent + batch)):
                s.sendto(segs[i], dest)
                i = (i + 1) % len(segs)
                sent += 1
        took = time.monotonic() - t0
        time.sleep(0.3)
        print('target=%d sent=%d achieved=%d out_rsts=%d' % (rate, sent, sent / took, out_rsts() - before), flush=True)
        with open(a.marks, 'a') as f:
            f.write('%d\n' % rate)
        time.sleep(1.0)  # a quiet gap, so the measuring side's window holds exactly this step
    s.close()

if __name__ == '__main__':
    main()

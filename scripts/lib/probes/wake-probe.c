/*
 * wake-probe: what one wake-up of a packet-capture reader costs on this machine, and what of it the reader's own
 * work adds (docs/benchmarks.md, "Capture CPU: what a wake-up costs on this VM").
 *
 * A minimal TPACKET_V3 reader, shaped as NetTop's (AF_PACKET SOCK_DGRAM, 32 x 64 KiB blocks, 100 ms retire timeout,
 * poll on the socket and an eventfd), with a filter passing IPv4 TCP segments with SYN, FIN or RST and dropping
 * outgoing copies. Per wake-up it reads the thread's CPU clock around poll() and after it, and can do a little
 * work first, to see what that work costs on a cold wake-up:
 *   TOUCH=N  read one byte of each of N pages of 4 KiB anonymous memory written at start;
 *   EXEC=N   call N small functions, each on a 4 KiB code page of its own (N <= 64);
 *   LOG_KB=N, LOG=anon|thp|stack, WRITE=B [READ=1]: a log of N KiB (4 KiB pages, transparent huge pages, or the
 *            stack; written once at start), and B bytes of it written (read with READ=1) after each wake-up at a
 *            position that moves on by B: what the flow log's append cost before it had a pending buffer.
 * On SIGINT it prints: wakes, the CPU inside poll, from poll's return to the block header, and of the extra work.
 *
 * Build: gcc -O2 -o /tmp/wake-probe scripts/lib/probes/wake-probe.c
 * Run in the benchmark's namespace while scripts/lib/loopback-flood.py floods it, e.g.
 *   EXEC=16 nsenter --net=/run/netns/NS /tmp/wake-probe & ...; kill -INT $!
 * A diagnostic for people, not part of NetTop or its tests.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BLOCK_SIZE (64 * 1024)
#define BLOCKS 32
#define RETIRE_MS 100
#define MAX_EXEC 64

static volatile sig_atomic_t stop;
static void on_signal(int s) { (void)s; stop = 1; }

static long thread_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

/* 64 functions, each aligned to a page of its own. */
#define F(i) __attribute__((noinline, aligned(4096))) static int f##i(int x) { return x * (i + 3) + i; }
#define F8(a) F(a##0) F(a##1) F(a##2) F(a##3) F(a##4) F(a##5) F(a##6) F(a##7)
F8(1) F8(2) F8(3) F8(4) F8(5) F8(6) F8(7) F8(8)
#define R8(a) f##a##0, f##a##1, f##a##2, f##a##3, f##a##4, f##a##5, f##a##6, f##a##7
static int (*const functions[MAX_EXEC])(int) = { R8(1), R8(2), R8(3), R8(4), R8(5), R8(6), R8(7), R8(8) };

static long env_long(const char *name, long max)
{
    const char *v = getenv(name);
    long n = v ? atol(v) : 0;
    return n < 0 ? 0 : n > max ? max : n;
}

int main(void)
{
    long touch = env_long("TOUCH", 1L << 18), exec = env_long("EXEC", MAX_EXEC);
    long log_bytes = env_long("LOG_KB", 1L << 20) * 1024, write_bytes = env_long("WRITE", 1L << 16), log_at = 0;
    const char *log_kind = getenv("LOG") ? getenv("LOG") : "anon";
    int log_read = getenv("READ") != NULL;
    char *log = NULL;
    char stack_log[16384];
    if (!strcmp(log_kind, "stack")) {
        log = stack_log;
        log_bytes = sizeof stack_log;
    } else if (log_bytes) {
        /* 2 MiB aligned, so THP can back it */
        char *raw = mmap(NULL, log_bytes + (2 << 20), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (raw == MAP_FAILED) { perror("mmap"); return 1; }
        log = (char *)(((unsigned long)raw + (2 << 20) - 1) & ~((2UL << 20) - 1));
        madvise(log, log_bytes, !strcmp(log_kind, "thp") ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    }
    if (log) memset(log, 1, log_bytes);
    if (write_bytes > log_bytes) write_bytes = log_bytes;
    volatile char *pages = NULL;
    if (touch) {
        pages = mmap(NULL, touch * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (pages == MAP_FAILED) { perror("mmap"); return 1; }
        madvise((void *)pages, touch * 4096, MADV_NOHUGEPAGE);
        memset((void *)pages, 1, touch * 4096);
    }
    int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0) { perror("socket(AF_PACKET)"); return 1; }
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 6, 0),
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 4),
        BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
        BPF_STMT(BPF_LD | BPF_B | BPF_IND, 13),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x07, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 256),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    struct sock_fprog prog = { sizeof code / sizeof code[0], code };
    int version = TPACKET_V3;
    struct tpacket_req3 req = { BLOCK_SIZE, BLOCKS, 2048, BLOCK_SIZE / 2048 * BLOCKS, RETIRE_MS, 0, 0 };
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0
        || setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0
        || setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0) {
        perror("setsockopt");
        return 1;
    }
    char *ring = mmap(NULL, (size_t)BLOCK_SIZE * BLOCKS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (ring == MAP_FAILED) { perror("mmap ring"); return 1; }
    int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct pollfd pfd[2] = { { fd, POLLIN | POLLERR, 0 }, { wake, POLLIN, 0 } };

    long wakes = 0, packets = 0, poll_ns = 0, header_ns = 0, work_ns = 0, returned = 0;
    unsigned sum = 0;
    int current = 0;
    printf("ready\n");
    fflush(stdout);
    while (!stop) {
        struct tpacket_block_desc *b = (void *)(ring + (size_t)current * BLOCK_SIZE);
        unsigned status = __atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
        if (returned) {
            long t = thread_ns();
            header_ns += t - returned;
            returned = 0;
            volatile int z = 0;
            for (long k = 0; k < exec; k++) z += functions[k]((int)k);
            for (long k = 0; k < touch; k++) z += pages[k * 4096];
            if (log && write_bytes) {
                if (log_at + write_bytes > log_bytes) log_at = 0;
                if (log_read) for (long k = 0; k < write_bytes; k += 64) z += ((volatile char *)log)[log_at + k];
                else memset(log + log_at, (int)wakes, write_bytes);
                log_at += write_bytes;
            }
            work_ns += thread_ns() - t;
        }
        if (!(status & TP_STATUS_USER)) {
            long t0 = thread_ns();
            if (poll(pfd, 2, -1) < 0 && !stop) { perror("poll"); return 1; }
            returned = thread_ns();
            poll_ns += returned - t0;
            wakes++;
            continue;
        }
        struct tpacket3_hdr *h = (void *)((char *)b + b->hdr.bh1.offset_to_first_pkt);
        for (unsigned i = 0; i < b->hdr.bh1.num_pkts; i++) {
            unsigned char *d = (unsigned char *)h + h->tp_net;
            sum += d[12] ^ d[16];
            packets++;
            h = (void *)((char *)h + h->tp_next_offset);
        }
        __atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
        current = (current + 1) % BLOCKS;
    }
    printf("wakes=%ld packets=%ld poll_us=%ld header_us=%ld work_us=%ld touch=%ld exec=%ld log_kb=%ld write=%ld (%u)\n",
        wakes, packets, poll_ns / 1000, header_ns / 1000, work_ns / 1000, touch, exec, log_bytes / 1024, write_bytes,
        (sum ^ (unsigned)log_at) & 1);
    return 0;
}

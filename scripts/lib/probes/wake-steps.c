/*
 * wake-steps: the code one wake-up of a capture reader runs, counted by single-stepping it with ptrace
 * (docs/benchmarks.md, "Capture CPU: the flow log's first write after a wake-up").
 *
 * Attach to a thread blocked in poll (NetTop's reader is the thread named nettop-packets; tcpdump's is its only
 * thread), make it wake (a data flood's first block), and it steps every instruction until the thread enters
 * poll (syscall 7) again. It prints "steps N pages P lines L" to stderr (instructions, distinct 4 KiB code pages,
 * distinct 64-byte code lines), then each distinct code page's first address and its steps, in order, to stdout
 * (map them with /proc/PID/maps and nm). Stepping slows the thread ~1000x; the work is the same.
 * With ADDRS=1 it prints every distinct instruction address instead, in the order first run: mapped to functions
 * (nm -n on the build's .dbg, less the mapping's base), they are the list in src/NetTop.Capture/capture-hot-path.order.
 *
 * Build: gcc -O2 -o /tmp/wake-steps scripts/lib/probes/wake-steps.c
 * Run:   /tmp/wake-steps TID > pages.txt   (as root; then flood the thread's namespace)
 * A diagnostic for people, not part of NetTop or its tests.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>

#define MAX_PAGES 4096
#define MAX_LINES 65536
#define SYS_POLL 7

static unsigned long lines[MAX_LINES], pages[MAX_PAGES], first[MAX_PAGES];
static long steps_in[MAX_PAGES];
static int nlines, npages;
#define MAX_ADDRS 65536
static unsigned long addrs[MAX_ADDRS];
static int naddrs;

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: wake-steps TID [max-steps]\n"); return 2; }
    int tid = atoi(argv[1]);
    long max_steps = argc > 2 ? atol(argv[2]) : 5000000;
    if (ptrace(PTRACE_ATTACH, tid, 0, 0) != 0) { perror("ptrace(ATTACH)"); return 1; }
    int status;
    waitpid(tid, &status, __WALL);
    struct user_regs_struct r;
    long steps = 0;
    int all_addrs = getenv("ADDRS") != NULL;
    while (steps < max_steps) {
        if (ptrace(PTRACE_SINGLESTEP, tid, 0, 0) != 0) { perror("ptrace(SINGLESTEP)"); break; }
        if (waitpid(tid, &status, __WALL) < 0 || !WIFSTOPPED(status)) { fprintf(stderr, "thread gone\n"); break; }
        ptrace(PTRACE_GETREGS, tid, 0, &r);
        steps++;
        unsigned long line = r.rip >> 6, page = r.rip >> 12;
        int i;
        for (i = 0; i < nlines && lines[i] != line; i++) {}
        if (i == nlines && nlines < MAX_LINES) lines[nlines++] = line;
        for (i = 0; i < npages && pages[i] != page; i++) {}
        if (i == npages && npages < MAX_PAGES) { pages[npages] = page; first[npages] = r.rip; npages++; }
        if (i < MAX_PAGES) steps_in[i]++;
        if (all_addrs) {
            for (i = 0; i < naddrs && addrs[i] != r.rip; i++) {}
            if (i == naddrs && naddrs < MAX_ADDRS) addrs[naddrs++] = r.rip;
        }
        errno = 0;
        long word = ptrace(PTRACE_PEEKTEXT, tid, (void *)r.rip, 0);
        /* The first steps restart the interrupted poll; after the wake-up, the next poll ends the count. */
        if (errno == 0 && (word & 0xffff) == 0x050f && r.rax == SYS_POLL && steps > 5) break;
    }
    fprintf(stderr, "steps %ld pages %d lines %d\n", steps, npages, nlines);
    if (all_addrs) for (int i = 0; i < naddrs; i++) printf("%lx\n", addrs[i]);
    else for (int i = 0; i < npages; i++) printf("%lx %ld\n", first[i], steps_in[i]);
    ptrace(PTRACE_DETACH, tid, 0, 0);
    return 0;
}

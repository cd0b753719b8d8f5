# Helpers for `scripts/bench tui` (sourced by scripts/bench; bash, set -euo pipefail there).
#
# Programs run in a private tmux server (tmux -L nettop-bench-<pid>): it is started by this script, so the
# programs get this script's environment (not a long-running server's), nothing else shares it, and
# `tui_stop_all` (kill-server) removes every pane at once. Commands are argument lists, never shell strings.

TUI_SOCKET="nettop-bench-$$"
TUI_WIDTH=120
TUI_HEIGHT=40
# Seconds between NetTop's first frame and the idle window. Tiered compilation counts calls: a method run once a
# tick reaches tier 1 after 30 ticks (and PGO re-compiles it once more), so at a 1 s refresh the JIT keeps working
# for ~40 s (measured: the "Tiered Compilation" thread ~1.7 s of CPU in the first minute). The window measures the
# steady state, as htop's has no start-up cost.
TUI_WARMUP=${TUI_WARMUP:-60}

tmux_b() { tmux -L "$TUI_SOCKET" "$@"; }

# tui_start NAME CMD... : a detached WIDTHxHEIGHT session running CMD in its only pane
tui_start() {
    local name=$1; shift
    tmux_b new-session -d -s "$name" -x "$TUI_WIDTH" -y "$TUI_HEIGHT" -- "$@"
}

# tui_pid NAME : the pid of the pane's program (after an exec, the program it became)
tui_pid() { tmux_b display-message -p -t "=$1:" '#{pane_pid}'; }

tui_capture() { tmux_b capture-pane -p -t "=$1:"; }

tui_alive() { [[ $(tmux_b display-message -p -t "=$1:" '#{pane_dead}' 2>/dev/null) == 0 ]]; }

tui_stop_all() { tmux_b kill-server 2>/dev/null || true; }

# tui_wait_for NAME TEXT SECONDS : waits until the pane shows TEXT (fixed string); fails on timeout or exit
tui_wait_for() {
    local name=$1 text=$2 limit=$3 t0=$SECONDS
    until tui_capture "$name" | grep -qF -- "$text"; do
        tui_alive "$name" || { tui_capture "$name" >&2 || true; return 1; }
        ((SECONDS - t0 < limit)) || return 1
        sleep 0.2
    done
}

# cpu_ticks_ms PID : utime + stime of the whole process in ms, plus cutime + cstime: the CPU of the children it
# has reaped (NetTop's firewall source runs iptables-save and nft; that work is NetTop's too, so it counts). The
# kernel derives all four from the scheduler's sum_exec_runtime (the ns figure /proc/PID/task/TID/schedstat shows
# per thread) and keeps the time of threads that have exited in the process's signal struct, so nothing is lost;
# the resolution is 1/CLK_TCK (10 ms), which is 0.03% of a 30 s window's second of CPU.
cpu_ticks_ms() {
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.0f\n", ($12 + $13 + $14 + $15) * 1000 / hz }' /proc/"$1"/stat
}

# children_ms PID : cutime + cstime alone (ms), to show how much of cpu_ticks_ms the children took
children_ms() {
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.0f\n", ($14 + $15) * 1000 / hz }' /proc/"$1"/stat
}

# cpu_ns PID : the schedstat run time (ns) summed over the threads PID has now (a process's own
# /proc/PID/schedstat is its main thread only). A thread that exits inside a window takes its time with it:
# NetTop's thread pool retires and starts threads, so this is a lower bound, printed as a cross-check only.
cpu_ns() {
    cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# cpu_pressure_us : /proc/pressure/cpu "some" total (µs some task waited for a CPU), or empty without PSI
cpu_pressure_us() {
    [[ -r /proc/pressure/cpu ]] && awk -F'total=' '/^some/ { print $2 }' /proc/pressure/cpu || true
}

# measure_cpu SECONDS PID... : sleeps SECONDS and prints "ms_1 ... ms_n live_1 ... live_n pressure_pct": each
# PID's CPU ms over the window (utime+stime), then the same from the schedstat of its live threads (a lower
# bound, see cpu_ns), then the CPU pressure (the share of the window in which some task waited for a CPU).
measure_cpu() {
    local window=$1; shift
    local pid a=() b=() ta=() tb=() p0 p1 t0 t1
    p0=$(cpu_pressure_us)
    t0=$(date +%s%N)
    for pid in "$@"; do a+=("$(cpu_ns "$pid")"); ta+=("$(cpu_ticks_ms "$pid")"); done
    sleep "$window"
    for pid in "$@"; do b+=("$(cpu_ns "$pid")"); tb+=("$(cpu_ticks_ms "$pid")"); done
    t1=$(date +%s%N)
    p1=$(cpu_pressure_us)
    local i out=()
    for i in "${!ta[@]}"; do out+=($((tb[i] - ta[i]))); done
    for i in "${!a[@]}"; do out+=("$(awk -v x="${a[$i]}" -v y="${b[$i]}" 'BEGIN { printf "%.0f", (y - x) / 1e6 }')"); done
    if [[ -n $p0 && -n $p1 ]]; then
        out+=("$(awk -v a="$p0" -v b="$p1" -v w=$((t1 - t0)) 'BEGIN { printf "%.0f", (b - a) * 1000 * 100 / w }')")
    else
        out+=("n/a")
    fi
    echo "${out[*]}"
}

# key_latency NAME PRESSES TEXT : presses `z` PRESSES times; each press zooms the focused panel or un-zooms it,
# which hides or shows TEXT (another panel's title). Prints the ms from `tmux send-keys` to the pane showing
# the new state (capture-pane polled without pause), one per line; 5000 means no change within 5 s. Presses
# are 0.3-0.8 s apart, so they land at different points of the 1 s refresh.
key_latency() {
    local name=$1 presses=$2 text=$3 i shown want t0 now
    if tui_capture "$name" | grep -qF -- "$text"; then shown=1; else shown=0; fi
    for ((i = 0; i < presses; i++)); do
        want=$((1 - shown))
        t0=$(date +%s%N)
        tmux_b send-keys -t "=$name:" z
        while :; do
            if tui_capture "$name" | grep -qF -- "$text"; then shown=1; else shown=0; fi
            now=$(date +%s%N)
            ((shown == want)) && { echo $(((now - t0) / 1000000)); break; }
            ((now - t0 > 5000000000)) && { echo 5000; break; }
        done
        sleep "0.$((3 + RANDOM % 6))"
    done
}

# capture_ms NAME : the mean ms of one `tmux capture-pane` (10 calls): the key latency's polling granularity
capture_ms() {
    local t0 t1 i
    t0=$(date +%s%N)
    for ((i = 0; i < 10; i++)); do tui_capture "$1" >/dev/null; done
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 10000000))
}

# median_p95 : reads numbers (one a line), prints "median p95 max"
median_p95() {
    sort -n | awk '{ a[NR] = $1 } END {
        if (NR == 0) { print "n/a n/a n/a"; exit }
        m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
        k = int(0.95 * NR + 0.999999); if (k < 1) k = 1; if (k > NR) k = NR
        printf "%s %s %s\n", m, a[k], a[NR] }'
}

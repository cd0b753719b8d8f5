using System.Runtime.InteropServices;

namespace NetTop.Capture.Interop;

// Names as in include/uapi/linux/perf_event.h (6.18), so they can be grepped against the header. Offsets are
// proven against the running kernel's BTF in tests/NetTop.Capture.Tests/Perf/PerfLayoutTests.cs.
#pragma warning disable CA1707, IDE1006, CS8981, CS0649
internal static partial class PerfEvents
{
    /// <summary>x86_64 syscall number (arch/x86/entry/syscalls/syscall_64.tbl).</summary>
    public const long SYS_perf_event_open = 298;

    public const uint PERF_TYPE_TRACEPOINT = 2;

    /// <summary>PERF_ATTR_SIZE_VER8: the full struct on 6.18; older kernels accept it only if the tail is zero.</summary>
    public const uint PERF_ATTR_SIZE_VER8 = 136;

    public const ulong PERF_SAMPLE_IP = 1UL << 0;
    public const ulong PERF_SAMPLE_TID = 1UL << 1;
    public const ulong PERF_SAMPLE_TIME = 1UL << 2;
    public const ulong PERF_SAMPLE_ADDR = 1UL << 3;
    public const ulong PERF_SAMPLE_READ = 1UL << 4;
    public const ulong PERF_SAMPLE_CALLCHAIN = 1UL << 5;
    public const ulong PERF_SAMPLE_ID = 1UL << 6;
    public const ulong PERF_SAMPLE_CPU = 1UL << 7;
    public const ulong PERF_SAMPLE_PERIOD = 1UL << 8;
    public const ulong PERF_SAMPLE_STREAM_ID = 1UL << 9;
    public const ulong PERF_SAMPLE_RAW = 1UL << 10;
    public const ulong PERF_SAMPLE_IDENTIFIER = 1UL << 16;

    // Bit numbers inside the perf_event_attr bitfield u64 at offset 40.
    public const int ATTR_BIT_disabled = 0;
    public const int ATTR_BIT_exclude_user = 4;
    public const int ATTR_BIT_watermark = 14;
    public const int ATTR_BIT_exclude_callchain_user = 22;
    public const int ATTR_BIT_use_clockid = 25;

    public const int PERF_FLAG_FD_CLOEXEC = 8;

    // _IO('$', 0), _IO('$', 1), _IO('$', 5), _IOW('$', 6, char*), _IOR('$', 7, u64).
    public const uint PERF_EVENT_IOC_ENABLE = 0x2400;
    public const uint PERF_EVENT_IOC_DISABLE = 0x2401;
    public const uint PERF_EVENT_IOC_SET_OUTPUT = 0x2405;
    public const uint PERF_EVENT_IOC_SET_FILTER = 0x40082406;
    public const uint PERF_EVENT_IOC_ID = 0x80082407;

    public const uint PERF_RECORD_LOST = 2;
    public const uint PERF_RECORD_SAMPLE = 9;
    public const uint PERF_RECORD_LOST_SAMPLES = 13;

    public const ulong PERF_CONTEXT_KERNEL = unchecked((ulong)-128);
    public const ulong PERF_CONTEXT_USER = unchecked((ulong)-512);
    /// <summary>Callchain entries at or above this are context markers, not addresses.</summary>
    public const ulong PERF_CONTEXT_MAX = unchecked((ulong)-4095);

    public const int CLOCK_MONOTONIC = 1;

    /// <summary>perf_event_open(2) has no libc wrapper; the raw syscall returns the fd or -1 with errno.</summary>
    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    public static extern unsafe long perf_event_open_syscall(long number, perf_event_attr* attr, int pid, int cpu, int group_fd, ulong flags);

    /// <summary>mount(2), for tracefs when nothing mounted it (needs CAP_SYS_ADMIN).</summary>
    [DllImport("libc", EntryPoint = "mount", SetLastError = true)]
    public static extern int mount([MarshalAs(UnmanagedType.LPUTF8Str)] string source, [MarshalAs(UnmanagedType.LPUTF8Str)] string target,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string filesystemtype, ulong mountflags, nint data);

    /// <summary>poll(2) over Tmds.Linux's pollfd (nfds_t is unsigned long on Linux). Its callers (the capture and
    /// tracepoint readers) look at the rings after every return, whatever it returned, so errno is not kept: no
    /// errno clearing and saving around the call on every wake-up.</summary>
    [DllImport("libc", EntryPoint = "poll")]
    public static extern unsafe int poll(Tmds.Linux.pollfd* fds, ulong nfds, int timeout);

    [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static extern int ioctl(int fd, ulong request, nint arg);
}

/// <summary>struct perf_event_attr, PERF_ATTR_SIZE_VER8 (136 bytes). Unions are named by the member NetTop uses.</summary>
[StructLayout(LayoutKind.Explicit, Size = 136)]
internal struct perf_event_attr
{
    [FieldOffset(0)] public uint type;
    [FieldOffset(4)] public uint size;
    [FieldOffset(8)] public ulong config;
    [FieldOffset(16)] public ulong sample_period;
    [FieldOffset(24)] public ulong sample_type;
    [FieldOffset(32)] public ulong read_format;
    /// <summary>The bitfield u64 (disabled:1, inherit:1, …); see the ATTR_BIT_* constants.</summary>
    [FieldOffset(40)] public ulong flags;
    /// <summary>Union with wakeup_watermark (bytes) when the watermark bit is set.</summary>
    [FieldOffset(48)] public uint wakeup_events;
    [FieldOffset(52)] public uint bp_type;
    [FieldOffset(56)] public ulong config1;
    [FieldOffset(64)] public ulong config2;
    [FieldOffset(72)] public ulong branch_sample_type;
    [FieldOffset(80)] public ulong sample_regs_user;
    [FieldOffset(88)] public uint sample_stack_user;
    [FieldOffset(92)] public int clockid;
    [FieldOffset(96)] public ulong sample_regs_intr;
    [FieldOffset(104)] public uint aux_watermark;
    [FieldOffset(108)] public ushort sample_max_stack;
    [FieldOffset(112)] public uint aux_sample_size;
    [FieldOffset(120)] public ulong sig_data;
    [FieldOffset(128)] public ulong config3;
}

/// <summary>struct perf_event_header: every ring record starts with it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct perf_event_header
{
    public uint type;
    public ushort misc;
    public ushort size;
}

/// <summary>The fields of struct perf_event_mmap_page (page 0 of the ring) that the reader uses.</summary>
internal static class perf_event_mmap_page
{
    public const int data_head = 1024;
    public const int data_tail = 1032;
    public const int data_offset = 1040;
    public const int data_size = 1048;
}
#pragma warning restore CA1707, IDE1006, CS8981, CS0649

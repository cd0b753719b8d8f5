using System.Runtime.InteropServices;
using NetTop.Capture.Interop;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace NetTop.Capture.Perf;

/// <summary>A record handed out by a ring reader: valid only during the call.</summary>
public delegate void PerfRecordHandler(ReadOnlySpan<byte> record);

/// <summary>A perf_event_open failure with its errno.</summary>
internal sealed class PerfOpenException(string message, int errno) : Exception(message)
{
    public int Errno { get; } = errno;
}

/// <summary>
/// The perf events of one CPU sharing one ring buffer: the first tracepoint's fd owns the mmap, the others are
/// redirected into it with PERF_EVENT_IOC_SET_OUTPUT (one mmap per CPU). Records are 8-byte aligned and wrap at
/// the end of the data area, so a wrapped record is copied out before it is parsed. The reader frees space by
/// storing data_tail after a batch. Owns its fds and mapping; one reader thread only.
/// </summary>
internal sealed unsafe class PerfCpuRing : IDisposable
{
    private readonly List<int> _fds = [];
    private byte* _base;
    private nuint _mapLength;
    private ulong _dataOffset;
    private ulong _dataSize;

    private PerfCpuRing(int cpu) => Cpu = cpu;

    public int Cpu { get; }
    public int LeaderFd => _fds[0];
    public ulong DataSize => _dataSize;

    /// <summary>Records whose header was impossible (the ring is then skipped up to the head).</summary>
    public long Corrupt { get; private set; }

    /// <summary>Opens <paramref name="tracepointIds"/> on <paramref name="cpu"/> (disabled) with a ring of 2^n data pages.</summary>
    public static PerfCpuRing Open(int cpu, IReadOnlyList<uint> tracepointIds, ulong sampleType, int dataPages)
    {
        PerfCpuRing ring = new(cpu);
        try
        {
            foreach (uint id in tracepointIds)
            {
                int fd = OpenEvent(id, cpu, sampleType, (uint)(dataPages * Environment.SystemPageSize / 4));
                ring._fds.Add(fd);
                if (ring._fds.Count == 1)
                {
                    ring.Map(dataPages);
                }
                else if (PerfEvents.ioctl(fd, PerfEvents.PERF_EVENT_IOC_SET_OUTPUT, ring._fds[0]) != 0)
                {
                    int e = Marshal.GetLastPInvokeError();
                    throw new PerfOpenException($"PERF_EVENT_IOC_SET_OUTPUT on CPU {cpu} failed: {Errno.Describe(e)}", e);
                }
            }
            return ring;
        }
        catch
        {
            ring.Dispose();
            throw;
        }
    }

    private static int OpenEvent(uint id, int cpu, ulong sampleType, uint watermarkBytes)
    {
        perf_event_attr attr = default;
        attr.type = PerfEvents.PERF_TYPE_TRACEPOINT;
        attr.size = PerfEvents.PERF_ATTR_SIZE_VER8;
        attr.config = id;
        attr.sample_period = 1;
        attr.sample_type = sampleType;
        attr.flags = (1UL << PerfEvents.ATTR_BIT_disabled) | (1UL << PerfEvents.ATTR_BIT_exclude_callchain_user) |
                     (1UL << PerfEvents.ATTR_BIT_use_clockid) | (1UL << PerfEvents.ATTR_BIT_watermark);
        // Wake the reader when a quarter of the ring is used; it also polls with a short timeout, so a single
        // reset still shows within ~50 ms, and a storm costs one wakeup per quarter ring, not one per event.
        attr.wakeup_events = Math.Max(1u, watermarkBytes);
        attr.clockid = PerfEvents.CLOCK_MONOTONIC;
        foreach (uint size in (ReadOnlySpan<uint>)[PerfEvents.PERF_ATTR_SIZE_VER8, 128, 112])
        {
            attr.size = size;
            long fd = PerfEvents.perf_event_open_syscall(PerfEvents.SYS_perf_event_open, &attr, -1, cpu, -1, PerfEvents.PERF_FLAG_FD_CLOEXEC);
            if (fd >= 0) return (int)fd;
            int e = Marshal.GetLastPInvokeError();
            if (e != E2BIG) throw new PerfOpenException($"perf_event_open(tracepoint {id}, cpu {cpu}) failed: {Errno.Describe(e)}", e);
        }
        throw new PerfOpenException($"perf_event_open(tracepoint {id}) rejected every perf_event_attr size (E2BIG)", E2BIG);
    }

    private void Map(int dataPages)
    {
        nuint page = (nuint)Environment.SystemPageSize;
        _mapLength = (nuint)(1 + dataPages) * page;
        void* p = mmap(null, (size_t)_mapLength, PROT_READ | PROT_WRITE, MAP_SHARED, _fds[0], 0);
        if (p == MAP_FAILED)
        {
            int e = Marshal.GetLastPInvokeError();
            _mapLength = 0;
            throw new PerfOpenException($"mmap of the perf ring ({_mapLength / 1024} KiB) on CPU {Cpu} failed: {Errno.Describe(e)}" +
                (e == EPERM ? " (over kernel.perf_event_mlock_kb)" : ""), e);
        }
        _base = (byte*)p;
        _dataOffset = *(ulong*)(_base + perf_event_mmap_page.data_offset);
        _dataSize = *(ulong*)(_base + perf_event_mmap_page.data_size);
        if (_dataOffset == 0 || _dataSize == 0)
        {
            // Kernels before 4.1 leave these 0: data starts at one page and fills the rest.
            _dataOffset = page;
            _dataSize = (ulong)dataPages * page;
        }
    }

    public void Enable()
    {
        foreach (int fd in _fds) PerfEvents.ioctl(fd, PerfEvents.PERF_EVENT_IOC_ENABLE, 0);
    }

    public void Disable()
    {
        foreach (int fd in _fds) PerfEvents.ioctl(fd, PerfEvents.PERF_EVENT_IOC_DISABLE, 0);
    }

    /// <summary>Hands every record written since the last call to <paramref name="onRecord"/>; returns how many.</summary>
    public int Drain(byte[] scratch, PerfRecordHandler onRecord)
    {
        if (_base == null) return 0;
        ulong* headPtr = (ulong*)(_base + perf_event_mmap_page.data_head);
        ulong* tailPtr = (ulong*)(_base + perf_event_mmap_page.data_tail);
        ulong head = Volatile.Read(ref *headPtr); // acquire: record bytes below head are visible after this
        ulong tail = *tailPtr;
        byte* data = _base + _dataOffset;
        int n = 0;
        while (tail < head)
        {
            ulong at = tail % _dataSize;
            // Headers never wrap (records are 8-byte aligned and the data size is a multiple of 8).
            ushort size = *(ushort*)(data + at + 6);
            if (size < PerfRecordParser.HeaderSize || size > head - tail || size > _dataSize || size > scratch.Length)
            {
                Corrupt++;
                tail = head;
                break;
            }
            ReadOnlySpan<byte> record;
            if (at + size <= _dataSize)
            {
                record = new ReadOnlySpan<byte>(data + at, size);
            }
            else
            {
                int first = (int)(_dataSize - at);
                new ReadOnlySpan<byte>(data + at, first).CopyTo(scratch);
                new ReadOnlySpan<byte>(data, size - first).CopyTo(scratch.AsSpan(first));
                record = scratch.AsSpan(0, size);
            }
            onRecord(record);
            tail += size;
            n++;
        }
        Volatile.Write(ref *tailPtr, tail); // release: the kernel may overwrite what we read only after this
        return n;
    }

    public void Dispose()
    {
        if (_base != null)
        {
            munmap(_base, (size_t)_mapLength);
            _base = null;
        }
        foreach (int fd in _fds) close(fd);
        _fds.Clear();
    }
}

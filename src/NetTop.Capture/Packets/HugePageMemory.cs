using System.Buffers;
using NetTop.Model.Packets;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace NetTop.Capture.Packets;

/// <summary>
/// Anonymous memory for a large, long-lived buffer (the flow store's log), mapped at a 2 MiB boundary and marked
/// MADV_HUGEPAGE, so the kernel backs it with transparent huge pages where it can: a few page-table entries
/// instead of one per 4 KiB. On this project's PVM machine every 4 KiB anonymous page a process holds makes each
/// wake-up of any of its threads dearer (~16 µs per MiB per wake-up, measured), and the capture's reader is a thread
/// that sleeps for seconds between blocks. Huge pages are not free either: the first touch of one after a wake-up
/// costs a few µs, and for the reader alone the total came out the same either way. The log stays in huge pages for
/// the process's other threads (docs/benchmarks.md, "Capture CPU: where a cold wake-up's time goes"). Without THP
/// (disabled, or no huge page free) the kernel uses small pages and nothing else changes. Falls back to an array
/// when the mapping fails.
/// </summary>
internal sealed unsafe class HugePageMemory : MemoryManager<byte>
{
    private const nuint HugePage = 2 * 1024 * 1024;

    private byte* _p;
    private readonly nuint _mapped;
    private readonly int _length;

    private HugePageMemory(byte* p, nuint mapped, int length)
    {
        _p = p;
        _mapped = mapped;
        _length = length;
    }

    /// <summary>The memory (zeroed, untouched until written), at least <paramref name="length"/> bytes.</summary>
    public static IMemoryOwner<byte> Allocate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        nuint rounded = ((nuint)length + HugePage - 1) & ~(HugePage - 1);
        // Over-map by one huge page and trim both ends, so the kept range starts on a 2 MiB boundary (THP needs
        // aligned ranges).
        nuint span = rounded + HugePage;
        void* raw = mmap(null, (size_t)span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (raw == MAP_FAILED) return new PinnedArrayMemory(length);
        nuint start = ((nuint)raw + HugePage - 1) & ~(HugePage - 1);
        nuint head = start - (nuint)raw;
        if (head > 0) munmap(raw, (size_t)head);
        nuint tail = span - head - rounded;
        if (tail > 0) munmap((void*)(start + rounded), (size_t)tail);
        madvise((void*)start, (size_t)rounded, MADV_HUGEPAGE); // advice: EINVAL without THP is fine
        return new HugePageMemory((byte*)start, rounded, length);
    }

    public override Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_p is null, this);
        return new Span<byte>(_p, _length);
    }

    /// <summary>The mapping never moves: pinning is the address.</summary>
    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ObjectDisposedException.ThrowIf(_p is null, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)elementIndex, (uint)_length);
        return new MemoryHandle(_p + elementIndex);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (_p is null) return;
        munmap(_p, (size_t)_mapped);
        _p = null;
    }
}

using System.Runtime.InteropServices;

namespace NetTop.Capture.Interop;

#pragma warning disable CA1707, IDE1006, CS8981
/// <summary>struct timeval (include/uapi/linux/time_types.h, x86_64: two longs), for SO_RCVTIMEO.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct timeval
{
    public long tv_sec;
    public long tv_usec;
}
#pragma warning restore CA1707, IDE1006, CS8981

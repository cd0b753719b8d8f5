using System.Runtime.InteropServices;

namespace NetTop.Capture.Interop;

/// <summary>capget(2)/capset(2) and prctl(PR_CAP_AMBIENT) (include/uapi/linux/capability.h, include/uapi/linux/prctl.h).</summary>
internal static class Capabilities
{
    public const uint _LINUX_CAPABILITY_VERSION_3 = 0x20080522;
    public const int CAP_NET_ADMIN = 12;
    public const int CAP_NET_RAW = 13;
    public const int PR_CAP_AMBIENT = 47;
    public const int PR_CAP_AMBIENT_IS_SET = 1;
    public const int PR_CAP_AMBIENT_RAISE = 2;

    [StructLayout(LayoutKind.Sequential)]
    public struct __user_cap_header_struct
    {
        public uint version;
        public int pid;
    }

    /// <summary>One of the two 32-bit halves of the v3 capability sets (data[0]: caps 0-31, data[1]: 32-63).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct __user_cap_data_struct
    {
        public uint effective;
        public uint permitted;
        public uint inheritable;
    }

    [DllImport("libc", EntryPoint = "capget", SetLastError = true)]
    public static extern unsafe int capget(__user_cap_header_struct* header, __user_cap_data_struct* data);

    [DllImport("libc", EntryPoint = "capset", SetLastError = true)]
    public static extern unsafe int capset(__user_cap_header_struct* header, __user_cap_data_struct* data);

    [DllImport("libc", EntryPoint = "prctl", SetLastError = true)]
    public static extern int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}

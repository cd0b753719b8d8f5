namespace NetTop.Capture.Interop;

internal static class Namespaces
{
    /// <summary>setns(2) nstype for a network namespace (include/uapi/linux/sched.h).</summary>
    public const int CLONE_NEWNET = 0x40000000;
}

using System.Runtime.InteropServices;

namespace NetTop.Capture;

internal static class Errno
{
    /// <summary>"EACCES (Permission denied)".</summary>
    public static string Describe(int errno)
    {
        string name = errno switch
        {
            1 => "EPERM",
            2 => "ENOENT",
            13 => "EACCES",
            22 => "EINVAL",
            24 => "EMFILE",
            93 => "EPROTONOSUPPORT",
            97 => "EAFNOSUPPORT",
            _ => $"errno {errno}",
        };
        return $"{name} ({Marshal.GetPInvokeErrorMessage(errno)})";
    }
}

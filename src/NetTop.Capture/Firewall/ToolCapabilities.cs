using System.Runtime.InteropServices;
using NetTop.Capture.Interop;

namespace NetTop.Capture.Firewall;

/// <summary>
/// Lets the firewall tools NetTop runs (iptables-save, nft, xtables-monitor, iptables) have CAP_NET_ADMIN when
/// NetTop itself got it from file capabilities (`setcap cap_net_admin,...+ep nettop`) rather than from root. File
/// capabilities are not inherited across execve: the child of a capability-granted process starts with none, so
/// iptables-save would fail with "Permission denied (you must be root)". A capability in the ambient set is kept
/// across execve of an unprivileged binary (capabilities(7)); raising it needs it in the permitted and inheritable
/// sets, and an unprivileged process may add a permitted capability to its inheritable set. Capabilities are per
/// thread: this runs on the namespace thread, which is the one that forks the tools, so nothing else inherits it.
/// </summary>
internal static class ToolCapabilities
{
    /// <summary>
    /// Raises CAP_NET_ADMIN into the calling thread's ambient set when it is permitted but NetTop is not root.
    /// Returns what was done or why not (for diagnostics), never throws.
    /// </summary>
    public static unsafe string InheritNetAdmin()
    {
        if (Environment.IsPrivilegedProcess)
        {
            return "root: the tools run as root";
        }
        Capabilities.__user_cap_header_struct header = new() { version = Capabilities._LINUX_CAPABILITY_VERSION_3 };
        Capabilities.__user_cap_data_struct* data = stackalloc Capabilities.__user_cap_data_struct[2];
        if (Capabilities.capget(&header, data) != 0)
        {
            return $"capget failed: {Errno.Describe(Marshal.GetLastPInvokeError())}";
        }
        const uint bit = 1u << Capabilities.CAP_NET_ADMIN;
        if ((data[0].permitted & bit) == 0)
        {
            return "CAP_NET_ADMIN not permitted: the firewall tools run without it";
        }
        if (Capabilities.prctl(Capabilities.PR_CAP_AMBIENT, Capabilities.PR_CAP_AMBIENT_IS_SET, Capabilities.CAP_NET_ADMIN, 0, 0) == 1)
        {
            return "CAP_NET_ADMIN already ambient";
        }
        data[0].inheritable |= bit;
        header = new() { version = Capabilities._LINUX_CAPABILITY_VERSION_3 };
        if (Capabilities.capset(&header, data) != 0)
        {
            return $"capset(inheritable CAP_NET_ADMIN) failed: {Errno.Describe(Marshal.GetLastPInvokeError())}";
        }
        if (Capabilities.prctl(Capabilities.PR_CAP_AMBIENT, Capabilities.PR_CAP_AMBIENT_RAISE, Capabilities.CAP_NET_ADMIN, 0, 0) != 0)
        {
            return $"PR_CAP_AMBIENT_RAISE CAP_NET_ADMIN failed: {Errno.Describe(Marshal.GetLastPInvokeError())}";
        }
        return "CAP_NET_ADMIN raised as ambient for the firewall tools";
    }
}

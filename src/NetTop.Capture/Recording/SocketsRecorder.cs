using NetTop.Capture.Interop;
using NetTop.Capture.Namespaces;
using NetTop.Capture.Sockets;
using NetTop.Model.Sockets;

namespace NetTop.Capture.Recording;

/// <summary>
/// Writes what the sockets and counters sources read, byte for byte, so parsers can be tested and replayed
/// without root (like `ss -D FILE`): the raw sock_diag replies per family and the /proc/thread-self/net files.
/// </summary>
public static class SocketsRecorder
{
    public static readonly IReadOnlyList<string> Files =
    [
        "sockdiag-inet.bin", "sockdiag-inet6.bin", "proc-net-tcp.txt", "proc-net-tcp6.txt", "netstat.txt", "snmp.txt",
    ];

    /// <summary>Records into <paramref name="dir"/>; runs on the namespace's thread. Returns the socket count.</summary>
    public static Task<int> RecordAsync(NetnsThread thread, string dir, bool tcpInfo, Action<string, byte[]> write) =>
        thread.InvokeAsync(() =>
        {
            int count = 0;
            using SockDiagClient client = SockDiagClient.Open();
            byte ext = tcpInfo ? (byte)(InetDiag.EXT_INFO | InetDiag.EXT_CONG | InetDiag.EXT_SKMEMINFO) : (byte)0;
            foreach ((byte family, string file) in new[] { (InetDiag.AF_INET, "sockdiag-inet.bin"), (InetDiag.AF_INET6, "sockdiag-inet6.bin") })
            {
                using MemoryStream raw = new();
                client.Tap = m => raw.Write(m.Span);
                SocketTableBuilder sockets = new();
                ParseStats stats = default;
                client.Dump(family, ext, InetDiag.TCPF_ALL_BUT_BOUND_INACTIVE, sockets, ref stats, new AsciiPool());
                count += sockets.Count;
                write(Path.Combine(dir, file), raw.ToArray());
            }
            foreach ((string src, string file) in new[]
            {
                ("/proc/thread-self/net/tcp", "proc-net-tcp.txt"), ("/proc/thread-self/net/tcp6", "proc-net-tcp6.txt"),
                ("/proc/thread-self/net/netstat", "netstat.txt"), ("/proc/thread-self/net/snmp", "snmp.txt"),
            })
            {
                write(Path.Combine(dir, file), File.ReadAllBytes(src));
            }
            return count;
        });
}

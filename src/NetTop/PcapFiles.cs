using NetTop.Capture;
using NetTop.Model.Net;
using NetTop.Model.Packets;

namespace NetTop;

/// <summary>
/// The TUI's `w` key: writes the flow's captured control packets to
/// <c>&lt;dir&gt;/nettop-&lt;host&gt;-&lt;yyyyMMdd-HHmmss&gt;-&lt;flow&gt;.pcap</c> (atomic, mode 0600, directory created 0700),
/// for tcpdump -r and Wireshark. A flow the capture kept no packet of writes nothing and says so.
/// </summary>
public static class PcapFiles
{
    public static string Save(string directory, CaptureHub hub, NetEndpoint local, NetEndpoint remote)
    {
        (byte[] pcap, int packets) = hub.FlowPcap(local, remote);
        if (packets == 0)
        {
            return $"no captured packets for {local} ⇄ {remote} (the capture keeps SYN/FIN/RST/ICMP errors of recent flows)";
        }
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string path = Path.Combine(directory, PcapWriter.FileName(hub.HostName, DateTimeOffset.Now, local, remote));
        AtomicFile.Write(path, pcap);
        return $"wrote {packets} packets to {path}";
    }
}

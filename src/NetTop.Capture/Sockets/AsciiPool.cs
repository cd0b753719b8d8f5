using System.Text;

namespace NetTop.Capture.Sockets;

/// <summary>
/// Interns the few short ASCII strings a dump repeats per socket (congestion control names), so a 100k-socket
/// refresh does not allocate a string per socket. Owned by one source; not thread-safe.
/// </summary>
internal sealed class AsciiPool
{
    private readonly List<(byte[] Bytes, string Text)> _entries = [];

    public string Get(ReadOnlySpan<byte> bytes)
    {
        foreach ((byte[] b, string t) in _entries)
        {
            if (bytes.SequenceEqual(b))
            {
                return t;
            }
        }
        string text = Encoding.ASCII.GetString(bytes);
        if (_entries.Count < 64)
        {
            _entries.Add((bytes.ToArray(), text));
        }
        return text;
    }
}

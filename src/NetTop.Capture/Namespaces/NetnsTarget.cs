namespace NetTop.Capture.Namespaces;

/// <summary>A network namespace named on the command line, resolved to a path that setns(2) can open.</summary>
public sealed record NetnsTarget(string Display, string Path)
{
    public const string NetnsDir = "/run/netns";

    /// <summary>
    /// NAME → /run/netns/NAME (ip netns), PID → /proc/PID/ns/net (a container's process), anything with a
    /// slash → that path (a bind-mounted nsfs file). Throws <see cref="NetnsException"/> when nothing is there.
    /// </summary>
    public static NetnsTarget Resolve(string spec)
    {
        if (string.IsNullOrWhiteSpace(spec))
        {
            throw new NetnsException("--netns needs a namespace NAME (see `ip netns list`), a PID or a PATH");
        }
        if (spec.All(char.IsAsciiDigit))
        {
            string path = $"/proc/{spec}/ns/net";
            if (!Directory.Exists($"/proc/{spec}"))
            {
                throw new NetnsException($"unknown network namespace '{spec}': no process with pid {spec}");
            }
            return new NetnsTarget($"pid {spec}", path);
        }
        if (spec.Contains('/'))
        {
            if (!File.Exists(spec))
            {
                throw new NetnsException($"unknown network namespace '{spec}': no such file");
            }
            return new NetnsTarget(spec, spec);
        }
        string named = System.IO.Path.Combine(NetnsDir, spec);
        if (!File.Exists(named))
        {
            string[] known = Directory.Exists(NetnsDir)
                ? Directory.GetFiles(NetnsDir).Select(System.IO.Path.GetFileName).OfType<string>().Order().ToArray()
                : [];
            string list = known.Length == 0 ? "there are none (ip netns list)" : "known: " + string.Join(", ", known);
            throw new NetnsException($"unknown network namespace '{spec}': {named} does not exist; {list}");
        }
        return new NetnsTarget(spec, named);
    }
}

/// <summary>A namespace that cannot be found or entered: the app exits 2 with this message.</summary>
public sealed class NetnsException(string message) : Exception(message);

using System.Collections.Immutable;
using System.Text;
using NetTop.Capture.Firewall;
using NetTop.Model;

namespace NetTop.Capture.Recording;

/// <summary>What one tick's reset feed came from, so a replay takes the same branch as the live hub did.</summary>
public enum ResetFeedMode : byte
{
    /// <summary>The tracepoints were still being set up: neither tracepoints nor the wire.</summary>
    Starting = 0,
    Tracepoints = 1,
    /// <summary>No tracepoints (off or failed): RSTs classified from the captured packets.</summary>
    Wire = 2,
}

/// <summary>How a sock_diag call of the sockets source ended.</summary>
public enum SockDiagOp : byte
{
    /// <summary>socket(AF_NETLINK, NETLINK_SOCK_DIAG) failed.</summary>
    OpenFailed = 1,
    /// <summary>A dump: the raw recv buffers, concatenated (the format of record-sockets' sockdiag-inet.bin).</summary>
    Dump = 2,
    /// <summary>A dump the kernel refused or that timed out (errno, message).</summary>
    DumpFailed = 3,
}

/// <summary>The text of a /proc or /sys file as a source read it, or why it could not (the exception's type and message).</summary>
public sealed record TextInput(int Tick, string Path, string? Text, string? ErrorType, string? Error);

/// <summary>One sock_diag call of the sockets source.</summary>
public sealed record SockDiagInput(int Tick, SockDiagOp Op, byte Family, int Errno, string? Message, byte[] Bytes);

/// <summary>One firewall tool run: the argument list and everything it left (exit code, stdout, stderr, limits hit).</summary>
public sealed record CommandInput(int Tick, string File, ImmutableArray<string> Args, CommandOutput Output);

/// <summary>The owner a socket inode had when the snapshot builder asked (null: unknown).</summary>
public sealed record OwnerInput(int Tick, ulong Inode, int? Pid, string? Comm);

/// <summary>
/// The end of one tick: its clock readings, how many reset and packet events the hub had taken from the event
/// sources by then (cumulative, so a replay hands over exactly those), and every source's status.
/// </summary>
public sealed record TickInput(int Tick, TimeSpan At, DateTimeOffset Now, TimeSpan? SocketsAt, TimeSpan? CountersAt, TimeSpan? FirewallAt,
    ResetFeedMode ResetMode, long ResetsWritten, long PacketsWritten, ImmutableArray<SourceStatus> Statuses);

/// <summary>One raw perf ring record with the wall-clock offset the reader used for it (perf.rec).</summary>
public sealed record PerfInput(long WallOffsetNs, byte[] Record);

/// <summary>A task lookup of the reset reader (comm and netns of a process-context event; perf.rec).</summary>
public sealed record TaskInput(int Pid, int Tid, string? Comm, ulong? NetnsInode);

/// <summary>
/// Encodes and decodes the payloads of ticks.rec and perf.rec: a kind byte, then the fields in order
/// (little-endian integers, 7-bit-length-prefixed UTF-8 strings, a presence byte before optional values).
/// Decoding never throws on bad bytes: it returns null and the reader counts the record as malformed.
/// </summary>
public static class RecordCodec
{
    private enum Kind : byte
    {
        Text = 1,
        SockDiag = 2,
        Command = 3,
        Owner = 4,
        Tick = 5,
        Perf = 16,
        Task = 17,
    }

    public static byte[] Encode(object input)
    {
        using MemoryStream ms = new();
        using (BinaryWriter w = new(ms, Encoding.UTF8, leaveOpen: true))
        {
            switch (input)
            {
                case TextInput t:
                    w.Write((byte)Kind.Text);
                    w.Write(t.Tick);
                    w.Write(t.Path);
                    Opt(w, t.Text);
                    Opt(w, t.ErrorType);
                    Opt(w, t.Error);
                    break;
                case SockDiagInput s:
                    w.Write((byte)Kind.SockDiag);
                    w.Write(s.Tick);
                    w.Write((byte)s.Op);
                    w.Write(s.Family);
                    w.Write(s.Errno);
                    Opt(w, s.Message);
                    w.Write(s.Bytes.Length);
                    w.Write(s.Bytes);
                    break;
                case CommandInput c:
                    w.Write((byte)Kind.Command);
                    w.Write(c.Tick);
                    w.Write(c.File);
                    w.Write(c.Args.Length);
                    foreach (string a in c.Args)
                    {
                        w.Write(a);
                    }
                    w.Write(c.Output.ExitCode);
                    w.Write(c.Output.Stdout);
                    w.Write(c.Output.Stderr);
                    w.Write(c.Output.TimedOut);
                    w.Write(c.Output.Truncated);
                    break;
                case OwnerInput o:
                    w.Write((byte)Kind.Owner);
                    w.Write(o.Tick);
                    w.Write(o.Inode);
                    w.Write(o.Pid.HasValue);
                    w.Write(o.Pid ?? 0);
                    Opt(w, o.Comm);
                    break;
                case TickInput k:
                    w.Write((byte)Kind.Tick);
                    w.Write(k.Tick);
                    w.Write(k.At.Ticks);
                    w.Write(k.Now.UtcTicks);
                    OptSpan(w, k.SocketsAt);
                    OptSpan(w, k.CountersAt);
                    OptSpan(w, k.FirewallAt);
                    w.Write((byte)k.ResetMode);
                    w.Write(k.ResetsWritten);
                    w.Write(k.PacketsWritten);
                    w.Write(k.Statuses.Length);
                    foreach (SourceStatus s in k.Statuses)
                    {
                        w.Write(s.Name);
                        w.Write((byte)s.Health);
                        w.Write(s.Detail);
                        Opt(w, s.Fix);
                    }
                    break;
                case PerfInput p:
                    w.Write((byte)Kind.Perf);
                    w.Write(p.WallOffsetNs);
                    w.Write(p.Record.Length);
                    w.Write(p.Record);
                    break;
                case TaskInput t:
                    w.Write((byte)Kind.Task);
                    w.Write(t.Pid);
                    w.Write(t.Tid);
                    Opt(w, t.Comm);
                    w.Write(t.NetnsInode.HasValue);
                    w.Write(t.NetnsInode ?? 0);
                    break;
                default:
                    throw new ArgumentException($"not a recorded input: {input.GetType().Name}", nameof(input));
            }
        }
        return ms.ToArray();
    }

    /// <summary>The input a payload holds, or null when it is malformed or of a kind this version does not know.</summary>
    public static object? Decode(byte[] payload)
    {
        try
        {
            using BinaryReader r = new(new MemoryStream(payload, writable: false), Encoding.UTF8);
            object? result = (Kind)r.ReadByte() switch
            {
                Kind.Text => new TextInput(r.ReadInt32(), r.ReadString(), Opt(r), Opt(r), Opt(r)),
                Kind.SockDiag => new SockDiagInput(r.ReadInt32(), (SockDiagOp)r.ReadByte(), r.ReadByte(), r.ReadInt32(), Opt(r), Bytes(r)),
                Kind.Command => ReadCommand(r),
                Kind.Owner => ReadOwner(r),
                Kind.Tick => ReadTick(r),
                Kind.Perf => new PerfInput(r.ReadInt64(), Bytes(r)),
                Kind.Task => ReadTask(r),
                _ => null,
            };
            // Trailing bytes mean the payload is not what its kind says.
            return r.BaseStream.Position == payload.Length ? result : null;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException or ArgumentException or OverflowException)
        {
            return null;
        }
    }

    private static CommandInput ReadCommand(BinaryReader r)
    {
        int tick = r.ReadInt32();
        string file = r.ReadString();
        int n = Count(r, 4096);
        ImmutableArray<string>.Builder args = ImmutableArray.CreateBuilder<string>(n);
        for (int i = 0; i < n; i++)
        {
            args.Add(r.ReadString());
        }
        CommandOutput o = new(r.ReadInt32(), r.ReadString(), r.ReadString(), r.ReadBoolean(), r.ReadBoolean());
        return new CommandInput(tick, file, args.MoveToImmutable(), o);
    }

    private static OwnerInput ReadOwner(BinaryReader r)
    {
        int tick = r.ReadInt32();
        ulong inode = r.ReadUInt64();
        bool has = r.ReadBoolean();
        int pid = r.ReadInt32();
        return new OwnerInput(tick, inode, has ? pid : null, Opt(r));
    }

    private static TickInput ReadTick(BinaryReader r)
    {
        int tick = r.ReadInt32();
        TimeSpan at = TimeSpan.FromTicks(r.ReadInt64());
        DateTimeOffset now = new(r.ReadInt64(), TimeSpan.Zero);
        TimeSpan? sockets = OptSpan(r), counters = OptSpan(r), firewall = OptSpan(r);
        ResetFeedMode mode = (ResetFeedMode)r.ReadByte();
        long resets = r.ReadInt64(), packets = r.ReadInt64();
        int n = Count(r, 256);
        ImmutableArray<SourceStatus>.Builder statuses = ImmutableArray.CreateBuilder<SourceStatus>(n);
        for (int i = 0; i < n; i++)
        {
            statuses.Add(new SourceStatus(r.ReadString(), (SourceHealth)r.ReadByte(), r.ReadString(), Opt(r)));
        }
        return new TickInput(tick, at, now, sockets, counters, firewall, mode, resets, packets, statuses.MoveToImmutable());
    }

    private static TaskInput ReadTask(BinaryReader r)
    {
        int pid = r.ReadInt32(), tid = r.ReadInt32();
        string? comm = Opt(r);
        bool has = r.ReadBoolean();
        ulong inode = r.ReadUInt64();
        return new TaskInput(pid, tid, comm, has ? inode : null);
    }

    private static int Count(BinaryReader r, int max)
    {
        int n = r.ReadInt32();
        return n >= 0 && n <= max ? n : throw new FormatException("count out of range");
    }

    private static byte[] Bytes(BinaryReader r)
    {
        int n = r.ReadInt32();
        if (n < 0 || n > r.BaseStream.Length - r.BaseStream.Position)
        {
            throw new FormatException("length out of range");
        }
        return r.ReadBytes(n);
    }

    private static void Opt(BinaryWriter w, string? s)
    {
        w.Write(s is not null);
        if (s is not null)
        {
            w.Write(s);
        }
    }

    private static string? Opt(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;

    private static void OptSpan(BinaryWriter w, TimeSpan? t)
    {
        w.Write(t.HasValue);
        w.Write(t?.Ticks ?? 0);
    }

    private static TimeSpan? OptSpan(BinaryReader r)
    {
        bool has = r.ReadBoolean();
        long ticks = r.ReadInt64();
        return has ? TimeSpan.FromTicks(ticks) : null;
    }
}

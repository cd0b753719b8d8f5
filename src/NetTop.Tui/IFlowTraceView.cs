using System.Collections.Immutable;
using NetTop.Model.Firewall;

namespace NetTop.Tui;

/// <summary>
/// A running trace of one flow through the firewall, as the trace view (key `t`) reads it. The view polls it on
/// the UI thread; disposing it (when the view closes) removes whatever the trace put into the kernel.
/// </summary>
public interface IFlowTraceView : IAsyncDisposable
{
    /// <summary>What is traced, e.g. "10.0.0.5:41000 ⇄ 192.0.2.1:443 (xtables-monitor)".</summary>
    string Title { get; }
    /// <summary>The trace's health in words ("ok: tracing", "unavailable: monitor exited …").</summary>
    string Status { get; }
    /// <summary>Increases whenever <see cref="Packets"/> changes.</summary>
    long Version { get; }
    /// <summary>The traced passes so far, oldest first.</summary>
    ImmutableArray<TracePacket> Packets { get; }
}

/// <summary>A trace that could not start; the screen shows the message and the fix, and opens nothing.</summary>
public sealed class FlowTraceStartException(string message, string? fix = null) : Exception(message)
{
    public string? Fix { get; } = fix;

    public string Text => Fix is null ? Message : $"{Message} (fix: {Fix})";
}

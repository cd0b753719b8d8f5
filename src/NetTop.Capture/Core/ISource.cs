using NetTop.Model;

namespace NetTop.Capture;

/// <summary>A source of kernel data. It owns its fds or child processes, only moves bytes, and says how it is doing.</summary>
public interface ISource
{
    string Name { get; }
    SourceStatus Status { get; }
}

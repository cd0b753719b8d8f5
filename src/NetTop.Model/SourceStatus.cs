namespace NetTop.Model;

public enum SourceHealth
{
    Ok,
    /// <summary>Works with less: a fallback, a missing capability for part of the data.</summary>
    Degraded,
    /// <summary>Gives nothing; <see cref="SourceStatus.Fix"/> says what would make it work.</summary>
    Unavailable,
}

/// <summary>How one source is doing, shown on the status line and in every snapshot.</summary>
public sealed record SourceStatus(string Name, SourceHealth Health, string Detail, string? Fix = null)
{
    public static SourceStatus Ok(string name, string detail) => new(name, SourceHealth.Ok, detail);

    public string HealthText => Health switch
    {
        SourceHealth.Ok => "ok",
        SourceHealth.Degraded => "degraded",
        _ => "unavailable",
    };

    /// <summary>"detail (fix: …)" when there is a fix.</summary>
    public string DetailWithFix => Fix is null ? Detail : $"{Detail} (fix: {Fix})";
}

namespace NetTop.Model.Tables;

/// <summary>
/// One column of a panel: a header and a pure function from row to cell text. The TUI's tables and the text
/// snapshot render with the same columns, so what is saved is what was shown.
/// </summary>
public sealed record Column<T>(string Header, int Width, bool AlignRight, Func<T, string> Cell);

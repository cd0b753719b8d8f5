using Terminal.Gui.Drivers;

namespace NetTop.Tui.Input;

/// <summary>
/// The stock ANSI driver's components (output, size monitor, input processor and parser) with a
/// <see cref="PollingInput"/> reading the terminal. Terminal.Gui calls <see cref="CreateInput"/> on its input thread
/// inside <c>Init</c>, as it does for the stock input, so the terminal's raw mode starts at the same moment.
/// <paramref name="loop"/>, when given, is set whenever the input queues characters (<see cref="LoopWake"/>).
/// </summary>
internal sealed class PollingAnsiFactory(int fd, LoopWake? loop = null) : AnsiComponentFactory
{
    /// <summary>The input made last, for tests.</summary>
    public IInput<char>? Created { get; private set; }

    /// <summary>The stock input when no eventfd can be had (the loop could not be woken to stop).</summary>
    public override IInput<char> CreateInput()
    {
        IInput<char> input = PollingInput.TryCreate(fd, loop) ?? new AnsiInput();
        Created = input;
        return input;
    }
}

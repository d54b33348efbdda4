using System.Diagnostics;

namespace HistoPrognosis;

/// <summary>Progress lines for long work, with the time since the run started; silent in tests.</summary>
public sealed class PipelineLog(TextWriter? writer)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public static PipelineLog Console => new(System.Console.Error);
    public static PipelineLog Silent => new(null);

    public void Info(string message)
    {
        if (writer is null) return;
        lock (writer) writer.WriteLine($"[{_clock.Elapsed:mm\\:ss}] {message}");
    }

    /// <summary>A progress line every <paramref name="every"/> items and at the end.</summary>
    public void Progress(string stage, int done, int total, string? detail = null, int every = 1)
    {
        if (done == total || done % Math.Max(1, every) == 0)
            Info($"{stage} {done}/{total}{(detail is null ? "" : "  " + detail)}");
    }
}

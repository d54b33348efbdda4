using System.Diagnostics;
using System.Globalization;

namespace HistoPrognosis;

/// <summary>
/// What a long run tells a person: timestamped lines, and for counted work (<see cref="Progress"/>) the rate and the
/// time left. On a terminal the counted work redraws one bar in place; redirected (CI logs, files) it prints plain
/// timestamped lines every <c>every</c> items, so logs stay readable. Silent in tests.
/// </summary>
public sealed class PipelineLog
{
    private readonly TextWriter? _writer;
    private readonly bool _terminal;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Dictionary<string, (TimeSpan Start, int StartDone)> _stages = [];
    private readonly object _gate = new();
    private string? _barStage;
    private TimeSpan _lastDraw;

    /// <param name="terminal">redraw counted work as a bar in place (only for an interactive terminal)</param>
    public PipelineLog(TextWriter? writer, bool terminal = false)
    {
        _writer = writer;
        _terminal = terminal;
    }

    public static PipelineLog Console => new(System.Console.Error, terminal: !System.Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb"));
    public static PipelineLog Silent => new(null);

    public void Info(string message)
    {
        if (_writer is null) return;
        lock (_gate)
        {
            EndBar();
            _writer.WriteLine($"[{_clock.Elapsed:mm\\:ss}] {message}");
        }
    }

    /// <summary>Progress of counted work: a bar on a terminal, else a line every <paramref name="every"/> items and at the end.</summary>
    public void Progress(string stage, int done, int total, string? detail = null, int every = 1)
    {
        if (_writer is null) return;
        lock (_gate)
        {
            var now = _clock.Elapsed;
            if (!_stages.TryGetValue(stage, out var start) || done < start.StartDone) _stages[stage] = start = (now, Math.Max(0, done - 1));
            var elapsed = (now - start.Start).TotalSeconds;
            double rate = elapsed > 0 ? (done - start.StartDone) / elapsed : 0;
            string eta = rate > 0 && done < total ? $"  ETA {TimeSpan.FromSeconds((total - done) / rate):hh\\:mm\\:ss}" : "";
            string speed = rate > 0 ? string.Create(CultureInfo.InvariantCulture, $"  {rate:0.0}/s") : "";
            if (_terminal)
            {
                if (done != total && _barStage == stage && (now - _lastDraw).TotalMilliseconds < 200) return;
                _lastDraw = now;
                const int width = 28;
                int filled = total <= 0 ? width : (int)((long)width * Math.Clamp(done, 0, total) / total);
                _writer.Write($"\r[{_clock.Elapsed:mm\\:ss}] {stage} [{new string('#', filled)}{new string('.', width - filled)}] {done}/{total}{speed}{eta}{(detail is null ? "" : "  " + detail)}\u001b[K");
                _barStage = stage;
                if (done >= total) EndBar();
                return;
            }
            if (done == total || done % Math.Max(1, every) == 0)
                _writer.WriteLine($"[{_clock.Elapsed:mm\\:ss}] {stage} {done}/{total}{speed}{eta}{(detail is null ? "" : "  " + detail)}");
            if (done >= total) _stages.Remove(stage);
        }
    }

    private void EndBar()
    {
        if (_barStage is null) return;
        _writer!.WriteLine();
        _stages.Remove(_barStage);
        _barStage = null;
    }
}

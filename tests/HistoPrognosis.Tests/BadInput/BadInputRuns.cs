using System.Text;

namespace HistoPrognosis.Tests.BadInput;

/// <summary>One case as it ran: its folder, the command line, the child's result and the folder before the run.</summary>
public sealed record CaseRun(CaseFolder Folder, IReadOnlyList<string> Arguments, ChildResult Result, FolderSnapshot Before);

/// <summary>
/// Starts every case that runs as soon as the suite starts, a few child processes at a time (each is mostly one
/// thread at start-up, so the slots are the cores), the slowest commands first; each theory row then awaits its own.
/// </summary>
public sealed class BadInputRuns
{
    private static readonly Command[] Slow = [Command.Run, Command.Crossval, Command.Train, Command.Finetune, Command.Extract, Command.Predict];

    private readonly SemaphoreSlim _slots = new(Math.Max(2, Environment.ProcessorCount));
    private readonly Dictionary<string, Task<CaseRun>> _runs;

    public BadInputRuns()
    {
        var cases = BadInputCases.All
            .OrderBy(c => c.Exit == 0 ? -1 : Array.IndexOf(Slow, c.Command) is var i and >= 0 ? i : Slow.Length).ToList();
        _runs = cases.Select((c, i) => (c, i)).ToDictionary(x => x.c.Name, x => Task.Run(() => RunAsync(x.c, x.i)));
    }

    public Workspace Workspace { get; } = new();

    public Task<CaseRun> Get(string name) => _runs[name];

    private async Task<CaseRun> RunAsync(BadInputCase c, int index)
    {
        var folder = new CaseFolder(Directory.CreateDirectory(Path.Combine(Workspace.Root, "cases", $"{index:D3}-{Slug(c.Name)}")).FullName, Workspace);
        var inputs = c.Write(folder);
        var model = c.NeedsModel ? await Workspace.Model : null;
        var args = CommandLines.For(c.Command, folder, inputs, model);
        var before = FolderSnapshot.Of(folder.Path);
        await _slots.WaitAsync();
        try
        {
            var result = await CliChild.RunAsync(args, folder.Path, Workspace.DataHome);
            // HISTOPROG_BADINPUT_TIMES=FILE appends each case's exit, peak RSS and time (for sizing the suite and the bounds).
            if (Environment.GetEnvironmentVariable("HISTOPROG_BADINPUT_TIMES") is { Length: > 0 } times)
                lock (_slots) File.AppendAllText(times, $"{c.Name}\t{result.Exit}\t{result.MaxRssKb / 1024}\t{result.Elapsed.TotalSeconds:F2}\n");
            return new CaseRun(folder, args, result, before);
        }
        finally
        {
            _slots.Release();
        }
    }

    private static string Slug(string name)
    {
        var slug = new StringBuilder();
        foreach (var ch in name) slug.Append(char.IsAsciiLetterOrDigit(ch) ? ch : '-');
        return slug.ToString();
    }
}

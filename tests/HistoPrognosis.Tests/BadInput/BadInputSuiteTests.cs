namespace HistoPrognosis.Tests.BadInput;

/// <summary>
/// Hostile files and tables through every command that reads them, each as a user would meet it: the CLI as a child
/// process. Every case asserts the exit code (2 for bad input), the message (file, table and row, or field named), no
/// stack trace, nothing half-written, and the child's peak memory below its bound.
/// </summary>
public sealed class BadInputSuiteTests(BadInputRuns runs) : IClassFixture<BadInputRuns>
{
    public static TheoryData<string> Cases() => BadInputCases.Names();

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task HostileInput(string name)
    {
        var c = BadInputCases.Named(name);
        var run = await runs.Get(name);
        var (folder, r) = (run.Folder, run.Result);
        var context = $"histoprog {string.Join(' ', run.Arguments)}\nexit {r.Exit}, {r.MaxRssKb / 1024} MB, {r.Elapsed.TotalSeconds:F1} s\nstdout:\n{r.Stdout}\nstderr:\n{r.Stderr}";
        Assert.True(r.Exit == c.Exit, $"expected exit {c.Exit}\n{context}");
        var said = c.Exit == 0 ? r.Output : r.Stderr;
        foreach (var fragment in c.Messages.Select(folder.Expand))
            Assert.True(said.Contains(fragment, StringComparison.Ordinal), $"expected '{fragment}'\n{context}");
        if (c.Exit != 0) Assert.True(r.Stderr.Contains("error: ", StringComparison.Ordinal), context);
        foreach (var defect in new[] { "   at ", "internal error", "Unhandled exception" })
            Assert.False(r.Output.Contains(defect, StringComparison.Ordinal), $"'{defect}' in the output\n{context}");
        Assert.True(r.MaxRssKb is > 0 && r.MaxRssKb <= c.MaxRssMb * 1024, $"peak RSS {r.MaxRssKb / 1024} MB, bound {c.MaxRssMb} MB\n{context}");
        if (c.Exit != 0) NothingHalfWritten(c.Leaves, run.Before, FolderSnapshot.Of(folder.Path), context);
        c.Check?.Invoke(folder, r);
    }

    private static void NothingHalfWritten(Leaves leaves, FolderSnapshot before, FolderSnapshot after, string context)
    {
        var (added, changed) = after.Since(before);
        Assert.True(changed.Count == 0, $"inputs changed or removed: {string.Join(", ", changed)}\n{context}");
        if (leaves == Leaves.Nothing)
        {
            Assert.True(added.Count == 0, $"left behind: {string.Join(", ", added)}\n{context}");
            return;
        }
        // A run that stopped keeps what lets it resume (its config, finished stages), never results or partial files.
        var stray = added.Where(p => !p.StartsWith("out", StringComparison.Ordinal) || p is "out/results.json" or "out/summary.md"
                                     || Path.GetFileName(p).Contains(".partial-", StringComparison.Ordinal) || Path.GetFileName(p).Contains(".tmp-", StringComparison.Ordinal)).ToList();
        Assert.True(stray.Count == 0, $"a failed run left: {string.Join(", ", stray)}\n{context}");
    }

    [Fact]
    public void TheCatalogueHoldsFortyHostileInputsWithUniqueNames()
    {
        var names = BadInputCases.All.Select(c => c.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.True(BadInputCases.All.Where(c => c.Exit != 0).Select(c => c.Input).Distinct().Count() >= 40);
    }
}

namespace HistoPrognosis.IO;

/// <summary>
/// Writes a run's (or a stage's) files into a hidden staging folder next to the destination and moves them in only
/// when all are complete, so a failed run never leaves a partial output folder. Only runners (a command, the
/// workflow) commit; the stages write into the folder they are handed (<see cref="Path"/>). A staging folder is
/// claimed (<see cref="WorkClaim"/>) while in use, so one abandoned by a killed process is removed by the next run.
/// </summary>
public sealed class OutputFolder : IDisposable
{
    private readonly string _staging;
    private readonly WorkClaim _claim;
    private bool _committed;

    public OutputFolder(string destination)
    {
        FileNames.CheckComponents(destination);
        Destination = System.IO.Path.GetFullPath(destination);
        var parent = System.IO.Path.GetDirectoryName(Destination) ?? throw new UserInputException($"invalid output folder: {destination}");
        if (System.IO.File.Exists(Destination)) throw new UserInputException($"{Destination} is a file; the output must be a folder");
        Directory.CreateDirectory(parent);
        _staging = StagingPath(Destination);
        _claim = WorkClaim.TryTake(_staging) ?? throw new InvalidOperationException($"{_staging} is claimed by another process with this process id");
        RemoveAbandoned(_staging);
        if (Directory.Exists(_staging)) Directory.Delete(_staging, recursive: true);
        Directory.CreateDirectory(_staging);
    }

    public string Destination { get; }

    /// <summary>
    /// The hidden staging folder beside <paramref name="destination"/>: <c>.NAME.partial-PID</c>, the name shortened
    /// (<see cref="FileNames.Fit"/>) when the whole would pass the 255-byte limit of a file name.
    /// </summary>
    public static string StagingPath(string destination) => Beside(destination, $".partial-{Environment.ProcessId}", WorkClaim.Suffix.Length);

    /// <summary>
    /// A hidden file or folder beside <paramref name="destination"/>: <c>.NAME</c> + <paramref name="suffix"/>, the
    /// name shortened (<see cref="FileNames.Fit"/>) so that it, plus <paramref name="reserve"/> more bytes, stays
    /// within the 255-byte limit of a file name.
    /// </summary>
    public static string Beside(string destination, string suffix, int reserve = 0)
    {
        var full = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(destination));
        var name = FileNames.Fit(System.IO.Path.GetFileName(full), 1 + suffix.Length + reserve);
        return System.IO.Path.Combine(System.IO.Path.GetDirectoryName(full) ?? ".", "." + name + suffix);
    }

    /// <summary>
    /// Checkpoints of the run that fills this folder: <c>.NAME.checkpoints</c> beside the destination. Unlike the
    /// staging folder its name does not change with the process, so a killed run's successor resumes from it; a
    /// commit removes it.
    /// </summary>
    public string Checkpoints => Beside(Destination, ".checkpoints");

    /// <summary>The staging folder the stage writes into.</summary>
    public string Path => _staging;

    /// <summary>Path of a file inside the staging folder.</summary>
    public string File(string name) => System.IO.Path.Combine(_staging, name);

    /// <summary>
    /// Moves the staged files and folders into the destination: files replace same-named ones, a staged folder
    /// replaces the destination's folder of that name whole; other files already there are kept.
    /// </summary>
    public void Commit()
    {
        if (!Directory.Exists(Destination))
        {
            Directory.Move(_staging, Destination);
        }
        else
        {
            foreach (var file in Directory.GetFiles(_staging))
                System.IO.File.Move(file, System.IO.Path.Combine(Destination, System.IO.Path.GetFileName(file)), overwrite: true);
            foreach (var dir in Directory.GetDirectories(_staging))
            {
                var target = System.IO.Path.Combine(Destination, System.IO.Path.GetFileName(dir));
                if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
                Directory.Move(dir, target);
            }
            Directory.Delete(_staging, recursive: true);
        }
        _committed = true;
        if (Directory.Exists(Checkpoints)) Directory.Delete(Checkpoints, recursive: true);
    }

    public void Dispose()
    {
        if (!_committed && Directory.Exists(_staging)) Directory.Delete(_staging, recursive: true);
        _claim.Dispose();
    }

    /// <summary>
    /// Staging folders of this destination left by killed processes: their claim is free (the kernel dropped the
    /// holder's lock), so they are deleted; a live writer's staging folder is left alone.
    /// </summary>
    private static void RemoveAbandoned(string staging)
    {
        var name = System.IO.Path.GetFileName(staging);
        var prefix = name[..(name.LastIndexOf('-') + 1)];
        foreach (var dir in Directory.EnumerateDirectories(System.IO.Path.GetDirectoryName(staging)!, prefix + "*"))
        {
            using var claim = WorkClaim.TryTake(dir);
            if (claim is not null) Directory.Delete(dir, recursive: true);
        }
    }

}

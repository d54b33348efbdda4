namespace HistoPrognosis.Reports;

/// <summary>
/// Writes a run's files into a hidden staging folder next to the destination and moves them in only when all are
/// complete, so a failed run never leaves a partial output folder (and never damages an earlier one).
/// </summary>
public sealed class OutputFolder : IDisposable
{
    private readonly string _destination;
    private readonly string _staging;
    private bool _committed;

    public OutputFolder(string destination)
    {
        _destination = Path.GetFullPath(destination);
        var parent = Path.GetDirectoryName(_destination) ?? throw new UserInputException($"invalid output folder: {destination}");
        Directory.CreateDirectory(parent);
        _staging = Path.Combine(parent, $".{Path.GetFileName(_destination)}.partial-{Environment.ProcessId}");
        if (Directory.Exists(_staging)) Directory.Delete(_staging, recursive: true);
        Directory.CreateDirectory(_staging);
    }

    public string Destination => _destination;

    /// <summary>Path of a file inside the staging folder.</summary>
    public string File(string name) => Path.Combine(_staging, name);

    public void Commit()
    {
        if (!Directory.Exists(_destination))
        {
            Directory.Move(_staging, _destination);
        }
        else
        {
            foreach (var file in Directory.GetFiles(_staging))
                System.IO.File.Move(file, Path.Combine(_destination, Path.GetFileName(file)), overwrite: true);
            Directory.Delete(_staging, recursive: true);
        }
        _committed = true;
    }

    public void Dispose()
    {
        if (!_committed && Directory.Exists(_staging)) Directory.Delete(_staging, recursive: true);
    }
}

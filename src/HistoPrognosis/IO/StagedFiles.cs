namespace HistoPrognosis.IO;

/// <summary>
/// Outputs that appear together or not at all: each is written under its temporary name (<see cref="FileNames.Temporary"/>)
/// and <see cref="Commit"/> renames them in the order staged, so the last one can mark the set complete. Disposing
/// without a commit deletes what was staged and leaves the targets as they were.
/// </summary>
public sealed class StagedFiles : IDisposable
{
    private readonly List<(string Temp, string Target, bool Folder)> _staged = [];

    /// <summary>The temporary path to write <paramref name="target"/> to.</summary>
    public string File(string target) => Add(target, folder: false);

    /// <summary>A created, empty temporary folder to fill in place of <paramref name="target"/> (replaced whole on commit).</summary>
    public string Folder(string target)
    {
        var temp = Add(target, folder: true);
        Directory.CreateDirectory(temp);
        return temp;
    }

    public void Commit()
    {
        foreach (var (temp, target, folder) in _staged)
        {
            if (folder)
            {
                if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
                Directory.Move(temp, target);
            }
            else System.IO.File.Move(temp, target, overwrite: true);
        }
        _staged.Clear();
    }

    public void Dispose()
    {
        foreach (var (temp, _, folder) in _staged)
        {
            if (folder && Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            else if (!folder && System.IO.File.Exists(temp)) System.IO.File.Delete(temp);
        }
        _staged.Clear();
    }

    private string Add(string target, bool folder)
    {
        var full = Path.GetFullPath(target);
        var temp = FileNames.Temporary(full);
        _staged.Add((temp, full, folder));
        return temp;
    }
}

namespace HistoPrognosis.IO;

/// <summary>
/// Files written whole or not at all: the content goes to a unique temporary name beside the target and is renamed
/// over it, so a reader (or a rerun after a crash) never sees half a file.
/// </summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string text) => Write(path, temp => File.WriteAllText(temp, text));

    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, temp => File.WriteAllBytes(temp, bytes));

    /// <summary>Runs <paramref name="write"/> on a temporary path, then renames it to <paramref name="path"/>.</summary>
    public static void Write(string path, Action<string> write)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = TemporaryName(full);
        try
        {
            write(temp);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// A temporary name beside <paramref name="full"/>: a short suffix, and a shortened stem when the name would pass
    /// the 255-byte file-name limit (long slide names).
    /// </summary>
    public static string TemporaryName(string full)
    {
        var suffix = $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}"[..18];
        var name = Path.GetFileName(full);
        if (System.Text.Encoding.UTF8.GetByteCount(name) + suffix.Length > 250) name = name[..Math.Min(name.Length, 100)];
        return Path.Combine(Path.GetDirectoryName(full)!, "." + name + suffix);
    }
}

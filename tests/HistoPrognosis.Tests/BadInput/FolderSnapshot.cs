namespace HistoPrognosis.Tests.BadInput;

/// <summary>Every file and folder under a case's folder (relative path, size, write time): what a failed command may not change.</summary>
public sealed class FolderSnapshot
{
    private readonly Dictionary<string, (long Size, DateTime Written)> _entries;

    private FolderSnapshot(Dictionary<string, (long, DateTime)> entries) => _entries = entries;

    public static FolderSnapshot Of(string folder) => new(
        Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).ToDictionary(
            e => Path.GetRelativePath(folder, e),
            e => File.Exists(e) ? (new FileInfo(e).Length, File.GetLastWriteTimeUtc(e)) : (-1L, DateTime.MinValue)));

    /// <summary>What differs from <paramref name="before"/>: entries added, and entries removed or rewritten.</summary>
    public (IReadOnlyList<string> Added, IReadOnlyList<string> Changed) Since(FolderSnapshot before) => (
        _entries.Keys.Except(before._entries.Keys).Order(StringComparer.Ordinal).ToList(),
        before._entries.Where(e => !_entries.TryGetValue(e.Key, out var now) || now != e.Value).Select(e => e.Key).Order(StringComparer.Ordinal).ToList());
}

using System.Security.Cryptography;
using System.Text;

namespace HistoPrognosis.IO;

/// <summary>
/// File names that stay within the 255-byte limit of a name (NAME_MAX on Linux and macOS, counted in UTF-8 bytes)
/// however long the slide or output name they are derived from.
/// </summary>
public static class FileNames
{
    /// <summary>The longest file name (one path component) in UTF-8 bytes.</summary>
    public const int MaxNameBytes = 255;

    private const int HashChars = 8;

    /// <summary>
    /// <paramref name="stem"/> itself when it and <paramref name="reservedBytes"/> more (the suffixes that will be
    /// appended) fit in <see cref="MaxNameBytes"/>; otherwise its longest prefix that leaves room for
    /// <c>~</c> + an 8-hex-digit hash of the whole stem, so two long names that share their start still differ.
    /// </summary>
    public static string Fit(string stem, int reservedBytes)
    {
        if (reservedBytes < 0 || reservedBytes > MaxNameBytes - HashChars - 1)
            throw new ArgumentOutOfRangeException(nameof(reservedBytes));
        int budget = MaxNameBytes - reservedBytes;
        if (Encoding.UTF8.GetByteCount(stem) <= budget) return stem;
        return Prefix(stem, budget - HashChars - 1) + "~" + Hash(stem)[..HashChars];
    }

    /// <summary>
    /// A hidden temporary name beside <paramref name="target"/> for writing it whole before a rename: a hash of the
    /// target's name (never the name itself plus a suffix, which could pass the limit), the process and a random part,
    /// and the target's extension (libvips picks the format from it). <see cref="TemporaryPattern"/> finds them again.
    /// </summary>
    public static string Temporary(string target)
    {
        var full = Path.GetFullPath(target);
        var extension = Path.GetExtension(full);
        if (Encoding.UTF8.GetByteCount(extension) > 16) extension = "";
        return Path.Combine(Path.GetDirectoryName(full)!,
            $".{Hash(Path.GetFileName(full))[..16]}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}.tmp{extension}");
    }

    /// <summary>A search pattern (for <see cref="Directory.EnumerateFileSystemEntries(string, string)"/>) matching every <see cref="Temporary"/> name of <paramref name="target"/>.</summary>
    public static string TemporaryPattern(string target) => $".{Hash(Path.GetFileName(Path.GetFullPath(target)))[..16]}-*.tmp*";

    /// <summary>
    /// Fails naming the path when one of its components passes <see cref="MaxNameBytes"/> — before anything is
    /// created, so a folder that cannot exist leaves no parents behind either.
    /// </summary>
    public static void CheckComponents(string path)
    {
        foreach (var part in Path.GetFullPath(path).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            int bytes = Encoding.UTF8.GetByteCount(part);
            if (bytes > MaxNameBytes)
                throw new UserInputException($"{path}: the name '{Prefix(part, 40)}…' is {bytes} bytes long; a file or folder name may have at most {MaxNameBytes}");
        }
    }

    /// <summary>Lowercase hex SHA-256 of the UTF-8 text.</summary>
    public static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    // The longest prefix of whole characters (never half a surrogate pair) within maxBytes of UTF-8.
    private static string Prefix(string text, int maxBytes)
    {
        int bytes = 0, end = 0;
        while (end < text.Length)
        {
            int width = char.IsSurrogatePair(text, end) ? 2 : 1;
            int size = Encoding.UTF8.GetByteCount(text.AsSpan(end, width));
            if (bytes + size > maxBytes) break;
            bytes += size;
            end += width;
        }
        return text[..end];
    }
}

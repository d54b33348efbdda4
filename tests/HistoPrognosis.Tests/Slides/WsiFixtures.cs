using HistoPrognosis.Imaging;

namespace HistoPrognosis.Tests.Slides;

/// <summary>Paths of the real slides copied into Fixtures/wsi (see PROVENANCE.txt there) and small shared helpers.</summary>
public static class WsiFixtures
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "wsi");
    public static string Cmu1 => Path.Combine(Dir, "CMU-1-Small-Region.svs");
    public static string TcgaJp2k => Path.Combine(Dir, "tcga-cr-7395-01a-01-ts1.svs");
    public static string Dicom => Path.Combine(Dir, "small_dicom_TCGA-XK-AAJU-01A-01-TS1.dcm");

    /// <summary>A fresh empty folder in the test run's temp folder.</summary>
    public static string TempDir(string tag) => TestPaths.NewTempDirectory(tag);

    /// <summary>
    /// A copy of a little-endian TIFF slide (CMU-1 by default) in <paramref name="dir"/> with each tile of its first
    /// page edited: <paramref name="damage"/> gets the bytes, the tile index, its offset and its byte count.
    /// </summary>
    public static string DamagedCopy(string dir, string name, Action<byte[], int, uint, uint> damage, string? source = null)
    {
        var bytes = File.ReadAllBytes(source ?? Cmu1);
        var offsets = TiffBytes.Longs(bytes, TiffBytes.TileOffsets);
        var counts = TiffBytes.Longs(bytes, TiffBytes.TileByteCounts);
        for (int i = 0; i < offsets.Length; i++) damage(bytes, i, offsets[i], counts[i]);
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Cuts a tile's byte count to a third: its JPEG stream loses its end (as in a truncated copy).</summary>
    public static void CutTile(byte[] tiff, int tile, uint offset, uint count) => TiffBytes.SetLong(tiff, TiffBytes.TileByteCounts, tile, count / 3);

    public static (double Mean, int Max) Difference(RgbImage a, RgbImage b)
    {
        Assert.Equal(a.Width, b.Width);
        Assert.Equal(a.Height, b.Height);
        long sum = 0;
        int max = 0;
        for (int i = 0; i < a.Pixels.Length; i++)
        {
            int d = Math.Abs(a.Pixels[i] - b.Pixels[i]);
            sum += d;
            if (d > max) max = d;
        }
        return ((double)sum / a.Pixels.Length, max);
    }

    /// <summary>Standard deviation of all channel values: a region that is a real picture is far from flat.</summary>
    public static double StdDev(RgbImage image)
    {
        double mean = image.Pixels.Average(p => (double)p);
        return Math.Sqrt(image.Pixels.Average(p => (p - mean) * (p - mean)));
    }
}

using System.Text;
using HistoPrognosis.Imaging;
using HistoPrognosis.IO;
using HistoPrognosis.Tiling;

namespace HistoPrognosis.Tests.Slides;

/// <summary>
/// Names near and at the 255-byte limit of a file name: output stems, temporaries and staging folders derived from them
/// fit (<see cref="FileNames"/>), and a name that cannot exist is refused naming it before anything is created.
/// </summary>
public sealed class LongNameTests : IDisposable
{
    private readonly string _dir = WsiFixtures.TempDir("names");

    public void Dispose() => Directory.Delete(_dir, true);

    private static int Bytes(string name) => Encoding.UTF8.GetByteCount(name);

    [Fact]
    public void Fit_KeepsNamesThatFit_AndShortensOthersToDistinctWholeCharacterNames()
    {
        Assert.Equal("slide", FileNames.Fit("slide", 15));
        var exact = new string('a', 240);
        Assert.Equal(exact, FileNames.Fit(exact, 15)); // 240 + 15 = 255: fits as it is

        string longer = exact + "a", other = exact + "b";
        var fitted = FileNames.Fit(longer, 15);
        Assert.True(Bytes(fitted) + 15 <= FileNames.MaxNameBytes, fitted);
        Assert.Matches("^a+~[0-9a-f]{8}$", fitted);
        Assert.NotEqual(fitted, FileNames.Fit(other, 15));

        // Two- and four-byte characters: cut between characters, never inside one (or between a surrogate pair).
        foreach (var text in new[] { new string('é', 130), string.Concat(Enumerable.Repeat("😀", 70)) })
        {
            var cut = FileNames.Fit(text, 15);
            Assert.True(Bytes(cut) + 15 <= FileNames.MaxNameBytes, cut);
            Assert.StartsWith(cut[..cut.IndexOf('~')], text, StringComparison.Ordinal);
            Assert.False(char.IsHighSurrogate(cut[cut.IndexOf('~') - 1]), "a surrogate pair was split");
        }
    }

    [Fact]
    public void OutputStem_OfSlidesAtTheLimit_LeavesRoomForEverySuffix()
    {
        Assert.Equal(new string('a', 240), SlideTiler.OutputStem(Path.Combine(_dir, new string('a', 240) + ".svs")));
        var atLimit = SlideTiler.OutputStem(Path.Combine(_dir, new string('b', 251) + ".svs"));
        Assert.True(Bytes(atLimit + ".tissue.geojson") <= FileNames.MaxNameBytes);
        Assert.EndsWith("~", atLimit[..^8]);
    }

    [Fact]
    public void AManifestSlideNamedAtTheLimit_IsTiledIntoPatches()
    {
        var name = new string('m', 251) + ".svs";
        File.Copy(WsiFixtures.Cmu1, Path.Combine(_dir, name));
        var manifest = Path.Combine(_dir, "slides.csv");
        File.WriteAllLines(manifest, ["patient_id,slide_path", $"P1,{name}"]);
        var options = new TilingOptions { TargetMpp = 2.0, TileSize = 64, SaveTiles = true, Workers = 1 };
        var table = HistoPrognosis.Data.SlideManifest.Tile(manifest, Path.Combine(_dir, "tiles"), options, PipelineLog.Silent);
        Assert.NotEmpty(table.Patches);
        Assert.All(table.Patches, p => Assert.True(File.Exists(p.Path), p.Path)); // the saved tile PNGs, under the shortened stem
        Assert.All(Directory.GetFileSystemEntries(Path.Combine(_dir, "tiles"), "*", SearchOption.AllDirectories),
            e => Assert.True(Bytes(Path.GetFileName(e)) <= FileNames.MaxNameBytes, e));
    }

    [Fact]
    public void TemporariesAndStagingFolders_OfNamesAtTheLimit_Fit()
    {
        var text = Path.Combine(_dir, new string('t', 255));
        AtomicFile.WriteAllText(text, "whole");
        Assert.Equal("whole", File.ReadAllText(text));

        var png = Path.Combine(_dir, new string('p', 251) + ".png");
        ImageCodec.WritePng(RgbImage.Blank(4, 3), png);
        Assert.Equal(4, ImageCodec.Read(png).Width);

        var temporary = FileNames.Temporary(png);
        Assert.StartsWith(".", Path.GetFileName(temporary));
        Assert.EndsWith(".tmp.png", temporary); // libvips picks the format from the extension
        Assert.True(Bytes(Path.GetFileName(temporary)) < 64);
        File.WriteAllText(temporary, "");
        Assert.Equal([temporary], Directory.GetFiles(_dir, FileNames.TemporaryPattern(png)));
        File.Delete(temporary);

        var folder = Path.Combine(_dir, new string('o', 255));
        using (var output = new OutputFolder(folder))
        {
            File.WriteAllText(output.File("result.txt"), "done");
            output.Commit();
        }
        Assert.True(File.Exists(Path.Combine(folder, "result.txt")));
        Assert.Equal(new[] { text, png, folder }.Order(StringComparer.Ordinal), Directory.GetFileSystemEntries(_dir).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ANameThatCannotExist_IsRefusedNamingIt_BeforeAnythingIsCreated()
    {
        var parent = Path.Combine(_dir, "new");
        var tooLong = Path.Combine(parent, new string('é', 128)); // 256 bytes
        var ex = Assert.Throws<UserInputException>(() => SlideTiler.RunBatch([WsiFixtures.Cmu1], tooLong, new TilingOptions()));
        Assert.Contains(tooLong, ex.Message);
        Assert.Contains("256 bytes", ex.Message);
        Assert.Throws<UserInputException>(() => new OutputFolder(tooLong));
        Assert.False(Directory.Exists(parent));
    }
}

using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using HistoPrognosis.Data;
using HistoPrognosis.Tiling;

namespace HistoPrognosis.Cli;

/// <summary>
/// Where a prognosis command's patches come from: a patch table (<c>--patches</c>) or a slide manifest
/// (<c>--slides</c>: <c>patient_id, slide_path</c>) that the slide stage tiles first, so everything downstream (feature
/// cache, MIL) sees the same patch table either way. Exactly one of the two is required.
/// </summary>
public sealed class PatchInputOptions
{
    private readonly Option<string?> _patches;
    private readonly Option<string?> _slides = new("--slides") { Description = "slide manifest: patient_id, slide_path (tiled by the slide stage; instead of --patches)" };
    private readonly Option<string?> _tiles = new("--tiles") { Description = "with --slides: folder for the tiles and their patch table (default ~/.local/share/histoprog/tiles/<manifest>)" };
    private readonly Option<double> _mpp = new("--mpp") { Description = "with --slides: tile µm per pixel", DefaultValueFactory = _ => 0.5 };
    private readonly Option<int> _tileSize = new("--tile-size") { Description = "with --slides: tile side in px at --mpp", DefaultValueFactory = _ => 256 };
    private readonly Option<double?> _slideMpp = new("--slide-mpp") { Description = "with --slides: level-0 µm/px for slides that do not state it" };

    public PatchInputOptions(string patchesDescription) => _patches = new Option<string?>("--patches") { Description = patchesDescription };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _patches, _slides, _tiles, _mpp, _tileSize, _slideMpp }) command.Options.Add(option);
    }

    /// <summary>The patch table to use: --patches as given, or the table of the manifest's tiles (tiled now, or reused).</summary>
    public string Resolve(ParseResult parse, PipelineLog log)
    {
        string? patches = parse.GetValue(_patches), slides = parse.GetValue(_slides);
        if ((patches is null) == (slides is null)) throw new UserInputException("give the patches as exactly one of --patches TABLE or --slides MANIFEST");
        if (patches is not null) return patches;
        var options = new TilingOptions { TargetMpp = parse.GetValue(_mpp), TileSize = parse.GetValue(_tileSize), SlideMpp = parse.GetValue(_slideMpp) };
        var tiles = parse.GetValue(_tiles) ?? DefaultTiles(slides!, options);
        return SlideManifest.Tile(slides!, tiles, options, log).SourcePath;
    }

    // One folder per manifest and tile geometry, so another --mpp or --tile-size never reuses stale tiles.
    private static string DefaultTiles(string manifest, TilingOptions options)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{Path.GetFullPath(manifest)}|{options.TargetMpp:R}|{options.TileSize}|{options.SlideMpp:R}")))[..12];
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create),
            "histoprog", "tiles", $"{Path.GetFileNameWithoutExtension(manifest)}-{key}");
    }
}

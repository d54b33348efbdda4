using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using HistoPrognosis.Slides;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog slide info PATH [--json]</c>: backend, vendor, geometry, levels and µm/px of a slide.</summary>
public static class SlideCommand
{
    public static Command Create()
    {
        var command = new Command("slide", "Inspect whole-slide images (OpenSlide, libvips, DICOM-WSI)");
        var path = new Argument<string>("path") { Description = "Slide file (SVS, TIFF, NDPI, MRXS, DICOM, PNG, ...) or a folder of DICOM instances" };
        var json = new Option<bool>("--json") { Description = "Print JSON (keys: path, backend, vendor, width, height, levels, mpp_x, mpp_y, objective_power)" };
        var info = new Command("info", "Print a slide's backend, vendor, size, levels and µm/px (reader and µm/px override: the tiling section of --config, or the flags)") { path, json };
        var options = new RunConfigOptions(ConfigFlags.Tiling);
        options.AddTo(info);
        info.SetAction(parse =>
        {
            var tiling = options.Bind(parse).Tiling;
            using var slide = SlideFactory.Open(parse.GetValue(path)!, new SlideOpenOptions { Backend = tiling.Backend, MppOverride = tiling.SlideMpp });
            var node = Describe(slide);
            if (parse.GetValue(json)) Console.WriteLine(node.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            else PrintText(slide);
            return 0;
        });
        command.Subcommands.Add(info);
        return command;
    }


    /// <summary>The stable JSON description of a slide.</summary>
    public static JsonObject Describe(ISlide slide)
    {
        var levels = new JsonArray();
        foreach (var l in slide.Levels)
            levels.Add(new JsonObject { ["width"] = l.Width, ["height"] = l.Height, ["downsample"] = Math.Round(l.Downsample, 6) });
        return new JsonObject
        {
            ["path"] = slide.Path,
            ["backend"] = slide.Backend.ToString().ToLowerInvariant(),
            ["vendor"] = slide.Vendor,
            ["width"] = slide.Levels[0].Width,
            ["height"] = slide.Levels[0].Height,
            ["levels"] = levels,
            ["mpp_x"] = slide.MppX,
            ["mpp_y"] = slide.MppY,
            ["objective_power"] = slide.ObjectivePower,
        };
    }

    private static void PrintText(ISlide slide)
    {
        var ci = CultureInfo.InvariantCulture;
        Console.WriteLine($"path:            {slide.Path}");
        Console.WriteLine($"backend:         {slide.Backend.ToString().ToLowerInvariant()}");
        Console.WriteLine($"vendor:          {slide.Vendor}");
        Console.WriteLine($"size:            {slide.Levels[0].Width} x {slide.Levels[0].Height}");
        Console.WriteLine($"mpp (x, y):      {(slide.MppX is { } x ? x.ToString("0.####", ci) : "unknown")}, {(slide.MppY is { } y ? y.ToString("0.####", ci) : "unknown")}");
        Console.WriteLine($"objective power: {(slide.ObjectivePower is { } p ? p.ToString("0.##", ci) : "unknown")}");
        Console.WriteLine("levels:");
        for (int i = 0; i < slide.Levels.Count; i++)
            Console.WriteLine(string.Create(ci, $"  {i}: {slide.Levels[i].Width} x {slide.Levels[i].Height}  downsample {slide.Levels[i].Downsample:0.####}"));
    }
}

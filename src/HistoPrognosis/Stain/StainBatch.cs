using HistoPrognosis.Imaging;
using HistoPrognosis.IO;

namespace HistoPrognosis.Stain;

/// <summary>What to normalize, with which method, and where to write it (the CLI's stain normalize command).</summary>
public sealed record StainBatchRequest
{
    /// <summary>Method name; may be left out when <see cref="FitPath"/> gives it.</summary>
    public string? Method { get; init; }
    public string? TargetPath { get; init; }
    public string? FitPath { get; init; }
    public string? SaveFitPath { get; init; }
    public required string OutputDirectory { get; init; }
    public required IReadOnlyList<string> Inputs { get; init; }
    /// <summary>
    /// Measure the source stain once, on a mosaic of (up to 64 of) all inputs, instead of per image: for tiles of
    /// one slide, where a per-tile estimate is noisy and would re-colour each tile differently.
    /// </summary>
    public bool JointSource { get; init; }

    /// <summary>The largest image decoded, target or input (<c>input.max_image_pixels</c>).</summary>
    public long MaxImagePixels { get; init; } = ImageCodec.DefaultMaxPixels;
}

/// <summary>
/// Normalizes a list of images into a folder, all or nothing: inputs are checked first, outputs go to a staging
/// folder and are moved into place only when every image succeeded, and a failure names the file.
/// </summary>
public static class StainBatch
{
    /// <summary>Returns the written output paths (DIR/&lt;input name&gt;.png).</summary>
    public static IReadOnlyList<string> Run(StainBatchRequest request, Action<string>? log = null)
    {
        var normalizer = Prepare(request, out var targetImage);
        var outputs = OutputNames(request);
        foreach (var input in request.Inputs) StainImageFile.Check(input, request.MaxImagePixels);

        if (targetImage is not null)
        {
            try
            {
                normalizer.Fit(targetImage);
            }
            catch (UserInputException ex)
            {
                throw new UserInputException($"{request.TargetPath}: {ex.Message}", ex);
            }
            log?.Invoke($"fitted {normalizer.Method} on {request.TargetPath}");
        }

        StainSource? jointSource = null;
        if (request.JointSource)
        {
            // Up to 64 inputs, evenly through the list: enough pixels for a stable estimate, bounded memory.
            int count = request.Inputs.Count, used = Math.Min(count, 64);
            var images = Enumerable.Range(0, used).Select(k => ImageCodec.Read(request.Inputs[(int)((long)k * count / used)], request.MaxImagePixels)).ToList();
            try
            {
                jointSource = normalizer.EstimateSource(Mosaic.Build(images));
            }
            catch (UserInputException ex)
            {
                throw new UserInputException($"the inputs together (--joint-source): {ex.Message}", ex);
            }
            log?.Invoke($"measured the source stain once on {used} of {count} input(s)");
        }

        var outDir = Path.GetFullPath(request.OutputDirectory);
        var staging = OutputFolder.StagingPath(outDir);
        Directory.CreateDirectory(staging);
        try
        {
            for (int i = 0; i < request.Inputs.Count; i++)
            {
                var input = request.Inputs[i];
                RgbImage result;
                try
                {
                    var image = ImageCodec.Read(input, request.MaxImagePixels); // checked with the others before any output
                    result = jointSource is null ? normalizer.Transform(image) : normalizer.Transform(image, jointSource);
                }
                catch (UserInputException ex) when (!ex.Message.StartsWith(input, StringComparison.Ordinal))
                {
                    throw new UserInputException($"{input}: {ex.Message}", ex);
                }
                ImageCodec.WritePng(result, Path.Combine(staging, outputs[i]));
                log?.Invoke($"{input} -> {Path.Combine(request.OutputDirectory, outputs[i])}");
            }
            if (request.SaveFitPath is not null) normalizer.ExportFit().Save(Path.Combine(staging, ".fit.json"));
            Publish(staging, outDir, request.SaveFitPath);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
        return outputs.Select(o => Path.Combine(request.OutputDirectory, o)).ToList();
    }

    private static IStainNormalizer Prepare(StainBatchRequest request, out RgbImage? target)
    {
        target = null;
        if (request.Inputs.Count == 0) throw new UserInputException("no input images given");
        if (request.FitPath is not null && request.TargetPath is not null)
            throw new UserInputException("give either --target (fit now) or --fit (reuse a saved fit), not both");
        if (request.FitPath is not null) return StainNormalizers.Load(request.FitPath, request.Method);
        if (request.TargetPath is null) throw new UserInputException("a target image (--target) or a saved fit (--fit) is required");
        if (request.Method is null) throw new UserInputException("--method is required with --target");
        var normalizer = StainNormalizers.Create(request.Method);
        target = StainImageFile.Read(request.TargetPath, request.MaxImagePixels);
        return normalizer;
    }

    // DIR/<input file name>, always PNG: "a.jpg" becomes "a.png" so the extension tells the truth.
    private static string[] OutputNames(StainBatchRequest request)
    {
        var names = request.Inputs.Select(i => Path.GetFileNameWithoutExtension(i) + ".png").ToArray();
        var clash = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null) throw new UserInputException($"two inputs would both be written to {Path.Combine(request.OutputDirectory, clash.Key)}");
        return names;
    }

    private static void Publish(string staging, string outDir, string? saveFitPath)
    {
        Directory.CreateDirectory(outDir);
        foreach (var file in Directory.GetFiles(staging))
        {
            if (Path.GetFileName(file) == ".fit.json") continue;
            File.Move(file, Path.Combine(outDir, Path.GetFileName(file)), overwrite: true);
        }
        if (saveFitPath is not null)
        {
            AtomicFile.Write(saveFitPath, temp => File.Copy(Path.Combine(staging, ".fit.json"), temp, overwrite: true));
        }
    }
}

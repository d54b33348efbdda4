using HistoPrognosis.Imaging;
using static TorchSharp.torch;

namespace HistoPrognosis.Data;

/// <summary>
/// Patches decoded once into memory as an 8-bit RGB tensor (N×3×S×S, CPU), with labels and patient ids.
/// Non-square patches (slide-edge patches) are padded with white background to a square before resizing, so
/// tissue is never stretched.
/// </summary>
public sealed class PatchDataset : IDisposable
{
    private PatchDataset(Tensor images, int[] labels, string[] patientIds, string[] paths, int imageSize)
    {
        Images = images;
        Labels = labels;
        PatientIds = patientIds;
        Paths = paths;
        ImageSize = imageSize;
    }

    /// <summary>uint8 RGB, N×3×S×S, on the CPU.</summary>
    public Tensor Images { get; }
    /// <summary>Patch labels (−1 where the table has none).</summary>
    public int[] Labels { get; }
    public string[] PatientIds { get; }
    public string[] Paths { get; }
    public int ImageSize { get; }
    public int Count => Labels.Length;

    /// <summary>
    /// Decodes the patches (image files or slide regions) on worker threads. Pass a <paramref name="reader"/> to keep
    /// slides open across calls (e.g. chunk after chunk); otherwise one is opened and closed for this call.
    /// </summary>
    public static PatchDataset Load(IReadOnlyList<PatchRecord> patches, int imageSize, PipelineLog log, string stage = "loading patches", PatchReader? reader = null)
    {
        var own = reader is null ? new PatchReader() : null;
        try
        {
            var source = reader ?? own!;
            return Build(patches, imageSize, log, stage, (record, _) => source.Read(record));
        }
        finally
        {
            own?.Dispose();
        }
    }

    /// <summary>
    /// Patches whose pixels are produced by <paramref name="image"/> from the record and its index (e.g. read and
    /// then re-stained, or augmented offline); the records give labels, patients and paths.
    /// </summary>
    public static PatchDataset Build(IReadOnlyList<PatchRecord> patches, int imageSize, PipelineLog log, string stage, Func<PatchRecord, int, RgbImage> image)
    {
        if (imageSize < 32) throw new UserInputException($"image size must be at least 32 px, got {imageSize}");
        var pixels = new byte[patches.Count * 3 * imageSize * imageSize];
        int done = 0;
        try
        {
            Parallel.For(0, patches.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
            {
                var chw = ToSquareChw(image(patches[i], i), imageSize);
                Buffer.BlockCopy(chw, 0, pixels, i * chw.Length, chw.Length);
                log.Progress(stage, Interlocked.Increment(ref done), patches.Count, every: 500);
            });
        }
        catch (AggregateException ex) when (ex.InnerExceptions.FirstOrDefault(e => e is UserInputException) is { } first)
        {
            // Report the first bad file as itself, not wrapped by the parallel loop.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        }
        var images = tensor(pixels, [patches.Count, 3, imageSize, imageSize], dtype: ScalarType.Byte);
        return new PatchDataset(images, patches.Select(p => p.Label ?? -1).ToArray(),
            patches.Select(p => p.PatientId).ToArray(), patches.Select(p => p.Path).ToArray(), imageSize);
    }

    /// <summary>Patches already decoded (uint8 RGB N×3×S×S, CPU), without labels or files; the dataset owns the tensor.</summary>
    public static PatchDataset FromTensor(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != 3 || images.shape[2] != images.shape[3] || images.dtype != ScalarType.Byte)
            throw new ArgumentException($"expected uint8 N×3×S×S, got {images.dtype} [{string.Join(",", images.shape)}]", nameof(images));
        int n = (int)images.shape[0];
        return new PatchDataset(images, Enumerable.Repeat(-1, n).ToArray(), new string[n], new string[n], (int)images.shape[2]);
    }

    /// <summary>The patches at the given indices (a copy of their pixels), e.g. the patients drawn for one run.</summary>
    public PatchDataset Select(long[] indices)
    {
        using var index = tensor(indices, dtype: ScalarType.Int64);
        return new PatchDataset(Images.index_select(0, index), indices.Select(i => Labels[i]).ToArray(),
            indices.Select(i => PatientIds[i]).ToArray(), indices.Select(i => Paths[i]).ToArray(), ImageSize);
    }

    /// <summary>Pads to a white square, then resizes bilinearly (antialiased when shrinking) to size × size, channel-first.</summary>
    public static byte[] ToSquareChw(RgbImage image, int size)
    {
        int side = Math.Max(image.Width, image.Height);
        var square = new byte[3 * side * side];
        Array.Fill(square, (byte)255);
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
            {
                int src = image.Offset(x, y);
                for (int c = 0; c < 3; c++) square[(c * side + y) * side + x] = image.Pixels[src + c];
            }
        if (side == size) return square;
        using var scope = NewDisposeScope();
        var t = tensor(square, [1, 3, side, side], dtype: ScalarType.Byte).to_type(ScalarType.Float32);
        var resized = nn.functional.interpolate(t, [size, size], mode: InterpolationMode.Bilinear, align_corners: false, antialias: side > size);
        return resized.round().clamp(0, 255).to_type(ScalarType.Byte).data<byte>().ToArray();
    }

    public void Dispose() => Images.Dispose();
}

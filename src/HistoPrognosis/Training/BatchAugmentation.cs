using HistoPrognosis.Imaging;
using HistoPrognosis.Transforms;
using static TorchSharp.torch;

namespace HistoPrognosis.Training;

/// <summary>
/// Label-preserving geometry for histology (no canonical orientation): per sample, one of the 8 dihedral
/// transforms (90° rotations × horizontal flip), drawn from the run's seeded generator.
/// </summary>
public static class BatchAugmentation
{
    public static Tensor Dihedral(Tensor batch, Random rng)
    {
        using var scope = NewDisposeScope();
        var samples = new Tensor[batch.shape[0]];
        for (int i = 0; i < samples.Length; i++)
        {
            var sample = batch[i];
            int k = rng.Next(4);
            if (k > 0) sample = sample.rot90(k, (1, 2));
            if (rng.Next(2) == 1) sample = sample.flip(2);
            samples[i] = sample;
        }
        return stack(samples).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A per-sample pixel transform (colour, HED, stain jitter) over a uint8 N×3×H×W batch; each sample gets its own
    /// generator seeded from <paramref name="rng"/> in batch order.
    /// </summary>
    public static Tensor Pixels(Tensor batch, ITransform transform, Random rng)
    {
        int n = (int)batch.shape[0], h = (int)batch.shape[2], w = (int)batch.shape[3], plane = h * w;
        var chw = batch.contiguous().data<byte>().ToArray();
        var output = new byte[chw.Length];
        var hwc = new byte[plane * 3];
        for (int s = 0; s < n; s++)
        {
            int offset = s * 3 * plane;
            for (int i = 0; i < plane; i++)
                for (int c = 0; c < 3; c++) hwc[i * 3 + c] = chw[offset + c * plane + i];
            var result = transform.Apply(new RgbImage(w, h, hwc), new Random(rng.Next()));
            if (result.Width != w || result.Height != h) throw new InvalidOperationException("pixel augmentation must keep the image size");
            for (int i = 0; i < plane; i++)
                for (int c = 0; c < 3; c++) output[offset + c * plane + i] = result.Pixels[i * 3 + c];
        }
        return tensor(output, [n, 3, h, w], dtype: ScalarType.Byte);
    }
}

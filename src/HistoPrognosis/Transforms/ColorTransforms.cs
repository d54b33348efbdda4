using HistoPrognosis.Imaging;
using HistoPrognosis.Stain;

namespace HistoPrognosis.Transforms;

/// <summary>
/// HED jitter (Tellez et al. 2018): in Ruifrok's H-E-DAB space each stain's concentration c becomes α·c + β with
/// α ~ U(1 − σα, 1 + σα) and β ~ U(−σβ, σβ), drawn per image and stain. Concentrations are in natural-log optical
/// density units (I0 = 255), so β = 0.05 shifts the optical density by 0.05 along the stain vector.
/// </summary>
public sealed class HedJitter(double alphaSigma = 0.05, double betaSigma = 0.05) : ITransform
{
    public RgbImage Apply(RgbImage image, Random rng)
    {
        var alpha = new double[3];
        var beta = new double[3];
        for (int s = 0; s < 3; s++)
        {
            alpha[s] = 1 + (2 * rng.NextDouble() - 1) * alphaSigma;
            beta[s] = (2 * rng.NextDouble() - 1) * betaSigma;
        }
        var c = StainSpace.Hed.Decompose(image);
        for (int i = 0; i < c.Length; i++) c[i] = c[i] * alpha[i % 3] + beta[i % 3];
        return StainSpace.Hed.Compose(c, image.Width, image.Height);
    }
}

/// <summary>
/// Brightness, contrast and saturation jitter with torchvision's ColorJitter semantics: factors drawn from
/// [max(0, 1 − x), 1 + x], applied in a random order; contrast blends with the mean grey level, saturation with
/// each pixel's grey (ITU-R 601 luma), results rounded and clipped.
/// </summary>
public sealed class ColorJitter(double brightness = 0.1, double contrast = 0.1, double saturation = 0.1) : ITransform
{
    public RgbImage Apply(RgbImage image, Random rng)
    {
        double fb = Factor(brightness, rng), fc = Factor(contrast, rng), fs = Factor(saturation, rng);
        int[] order = [0, 1, 2];
        rng.Shuffle(order);
        var px = image.Pixels.Select(v => (double)v).ToArray();
        foreach (var op in order)
        {
            switch (op)
            {
                case 0:
                    for (int i = 0; i < px.Length; i++) px[i] = Clip(px[i] * fb);
                    break;
                case 1:
                    double mean = 0;
                    for (int i = 0; i < px.Length; i += 3) mean += Grey(px, i);
                    mean /= px.Length / 3;
                    for (int i = 0; i < px.Length; i++) px[i] = Clip(fc * px[i] + (1 - fc) * mean);
                    break;
                default:
                    for (int i = 0; i < px.Length; i += 3)
                    {
                        double grey = Grey(px, i);
                        for (int ch = 0; ch < 3; ch++) px[i + ch] = Clip(fs * px[i + ch] + (1 - fs) * grey);
                    }
                    break;
            }
        }
        return new RgbImage(image.Width, image.Height, px.Select(v => (byte)Math.Round(v)).ToArray());
    }

    private static double Factor(double amount, Random rng) => Math.Max(0, 1 - amount) + rng.NextDouble() * (1 + amount - Math.Max(0, 1 - amount));

    private static double Grey(double[] px, int i) => 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2];

    private static double Clip(double v) => Math.Clamp(v, 0, 255);
}

/// <summary>
/// Random stain-matrix perturbation: decompose with the image's own stain matrix (from <paramref name="extractor"/>,
/// Ruifrok's fixed one by default), add U(−σ, σ) to each H and E component (clipped at 0, rows re-normalised), scale
/// each stain's concentration by U(1 − σc, 1 + σc), and rebuild. The residual is kept, so σ = σc = 0 is the identity.
/// Images where the extractor finds no tissue fall back to Ruifrok's matrix.
/// </summary>
public sealed class RandomStainPerturbation(double matrixSigma = 0.05, double concentrationSigma = 0.1, IStainExtractor? extractor = null) : ITransform
{
    private readonly IStainExtractor extractor = extractor ?? new RuifrokExtractor();

    public RgbImage Apply(RgbImage image, Random rng)
    {
        StainMatrix matrix;
        try
        {
            matrix = extractor.Extract(image);
        }
        catch (UserInputException)
        {
            matrix = StainMatrix.Ruifrok; // blank tile: nothing to estimate, but the draw sequence stays the same
        }
        var source = StainSpace.FromStains(matrix.Hematoxylin, matrix.Eosin);
        var h = Perturb(matrix.Hematoxylin, rng);
        var e = Perturb(matrix.Eosin, rng);
        double sh = 1 + (2 * rng.NextDouble() - 1) * concentrationSigma, se = 1 + (2 * rng.NextDouble() - 1) * concentrationSigma;
        var c = source.Decompose(image);
        for (int i = 0; i < c.Length; i += 3) { c[i] *= sh; c[i + 1] *= se; }
        // Keep the source's residual direction so only the stains change.
        var target = new StainSpace(h, e, source.Residual);
        return target.Compose(c, image.Width, image.Height);
    }

    private double[] Perturb(double[] v, Random rng)
    {
        var p = v.Select(x => Math.Max(0, x + (2 * rng.NextDouble() - 1) * matrixSigma)).ToArray();
        double n = Math.Sqrt(p.Sum(x => x * x));
        if (n == 0) return v;
        double scale = Math.Sqrt(v.Sum(x => x * x)) / n; // keep the original norm (Ruifrok's rows are not unit)
        return p.Select(x => x * scale).ToArray();
    }
}

/// <summary>Stain normalization as a pipeline step (test-time normalization); images without tissue pass through unchanged.</summary>
public sealed class StainNormalize(IStainNormalizer normalizer) : ITransform
{
    public IStainNormalizer Normalizer { get; } = normalizer.IsFitted ? normalizer : throw new ArgumentException("the normalizer must be fitted", nameof(normalizer));

    public RgbImage Apply(RgbImage image, Random rng)
    {
        try
        {
            return Normalizer.Transform(image);
        }
        catch (UserInputException)
        {
            return image; // background tile: nothing to normalize
        }
    }
}

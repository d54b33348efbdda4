using HistoPrognosis.Imaging;

namespace HistoPrognosis.Transforms;

/// <summary>
/// One per-sample image transform. Randomness comes only from <paramref name="rng"/>, so a training loop that
/// creates the generator with <see cref="SampleRandom.For"/> gets the same augmentation for the same sample every
/// run. Implementations return a new image and leave the input untouched.
/// </summary>
public interface ITransform
{
    RgbImage Apply(RgbImage image, Random rng);
}

/// <summary>Deterministic per-sample random generators derived from one run seed.</summary>
public static class SampleRandom
{
    /// <summary>
    /// A generator for (run seed, epoch, sample index): the three are mixed with SplitMix64 so neighbouring
    /// samples get unrelated streams, and the result does not depend on thread scheduling or visiting order.
    /// </summary>
    public static Random For(int seed, long sampleIndex, int epoch = 0) => new(StableSeed.Of(seed, sampleIndex, epoch));

    /// <summary>Applies <paramref name="transform"/> with the generator for (seed, epoch, sample).</summary>
    public static RgbImage Apply(this ITransform transform, RgbImage image, int seed, long sampleIndex, int epoch = 0) =>
        transform.Apply(image, For(seed, sampleIndex, epoch));
}

/// <summary>Applies transforms in order, all drawing from the same per-sample generator.</summary>
public sealed class Compose(params ITransform[] steps) : ITransform
{
    public IReadOnlyList<ITransform> Steps { get; } = steps;

    public RgbImage Apply(RgbImage image, Random rng)
    {
        foreach (var step in Steps) image = step.Apply(image, rng);
        return image;
    }
}

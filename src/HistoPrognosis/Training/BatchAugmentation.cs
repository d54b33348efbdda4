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
}

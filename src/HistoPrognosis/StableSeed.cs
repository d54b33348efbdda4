namespace HistoPrognosis;

/// <summary>
/// Seeds derived from a run seed and the parts of a run (size, repeat, method; sample, epoch) with SplitMix64, the
/// same way in every process: <see cref="HashCode.Combine{T1,T2}"/> is randomised per process, so a study seeded
/// with it could not be rerun.
/// </summary>
public static class StableSeed
{
    public static int Of(int seed, params object[] parts)
    {
        ulong x = Mix((ulong)(uint)seed);
        foreach (var part in parts)
            x = Mix(x ^ part switch
            {
                int i => (ulong)(uint)i,
                long l => (ulong)l,
                string s => Fnv1a(s),
                _ => throw new ArgumentException($"unsupported seed part {part.GetType().Name}", nameof(parts)),
            });
        return (int)(x >> 33);
    }

    private static ulong Fnv1a(string text)
    {
        ulong h = 14695981039346656037;
        foreach (char c in text) h = (h ^ c) * 1099511628211;
        return h;
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}

namespace HistoPrognosis.Survival;

/// <summary>Counts over ranks 0..n-1 with O(log n) insertion and prefix queries (binary indexed tree).</summary>
internal sealed class FenwickTree
{
    private readonly long[] _tree;

    public FenwickTree(int size) => _tree = new long[size + 1];

    public long Total { get; private set; }

    public void Add(int rank, long count = 1)
    {
        Total += count;
        for (int i = rank + 1; i < _tree.Length; i += i & -i) _tree[i] += count;
    }

    /// <summary>Sum of counts at ranks strictly below <paramref name="rank"/>.</summary>
    public long CountBelow(int rank)
    {
        long sum = 0;
        for (int i = rank; i > 0; i -= i & -i) sum += _tree[i];
        return sum;
    }

    public void Clear()
    {
        Array.Clear(_tree);
        Total = 0;
    }
}

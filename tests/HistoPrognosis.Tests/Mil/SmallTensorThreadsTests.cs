using HistoPrognosis.Mil;
using static TorchSharp.torch;

namespace HistoPrognosis.Tests.Mil;

public sealed class SmallTensorThreadsTests
{
    [Fact]
    public void OnlyTheCallingThreadRunsSingleThreadedAndItsCountComesBack()
    {
        int before = get_num_threads();
        int elsewhere = -1;
        using (new SmallTensorThreads(CPU))
        {
            Assert.Equal(1, get_num_threads());
            // Another thread doing LibTorch work meanwhile keeps its threads (a process-wide change raced with it).
            var other = new Thread(() => elsewhere = get_num_threads());
            other.Start();
            other.Join();
            using var x = randn(64, 64);
            Assert.Equal(64, x.mm(x).shape[0]);
        }
        Assert.Equal(before, elsewhere);
        Assert.Equal(before, get_num_threads());
    }
}

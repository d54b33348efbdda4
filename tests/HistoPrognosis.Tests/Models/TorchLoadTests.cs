using static TorchSharp.torch;

namespace HistoPrognosis.Tests.Models;

[Collection(TorchCollection.Name)]
public sealed class TorchLoadTests
{
    [Fact]
    public void TensorOperationRunsOnCpu()
    {
        using var scope = NewDisposeScope();
        var a = arange(6, dtype: ScalarType.Float32).reshape(2, 3);
        var product = a.matmul(a.t());
        Assert.Equal(new float[] { 5, 14, 14, 50 }, product.data<float>().ToArray());
    }
}

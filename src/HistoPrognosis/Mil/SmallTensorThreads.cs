using static TorchSharp.torch;

namespace HistoPrognosis.Mil;

/// <summary>
/// Runs MIL training with one intra-op thread on the CPU and restores the previous count afterwards. Bags of a
/// few hundred 8–512-d vectors are far too small to split: with LibTorch's default pool the threads mostly wait
/// on each other (measured: 148 s vs 8 s for the same abmil training on 2 cores, identical result).
/// </summary>
internal sealed class SmallTensorThreads : IDisposable
{
    private readonly int _previous;
    private readonly bool _changed;

    public SmallTensorThreads(Device device)
    {
        _previous = get_num_threads();
        _changed = device.type == TorchSharp.DeviceType.CPU && _previous != 1;
        if (_changed) set_num_threads(1);
    }

    public void Dispose()
    {
        if (_changed) set_num_threads(_previous);
    }
}

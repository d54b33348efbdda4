using static TorchSharp.torch;

namespace HistoPrognosis.Models;

/// <summary>Where tensors run (config value and <c>--device</c>: cpu, cuda).</summary>
public enum ComputeDeviceKind
{
    Cpu,
    Cuda,
}

/// <summary>
/// Turns the configured device into a TorchSharp device, refusing CUDA clearly when absent. Every command that runs a
/// network resolves its device here first, so this is also where the process keeps LibTorch's large buffers in the
/// heap (<see cref="NativeHeap"/>).
/// </summary>
public static class ComputeDevice
{
    public static Device Resolve(ComputeDeviceKind kind)
    {
        NativeHeap.KeepLargeBlocks();
        return ToDevice(kind);
    }

    private static Device ToDevice(ComputeDeviceKind kind) => kind switch
    {
        ComputeDeviceKind.Cpu => CPU,
        ComputeDeviceKind.Cuda when cuda.is_available() => CUDA,
        ComputeDeviceKind.Cuda => throw new UserInputException("device cuda was requested but no CUDA device is available to TorchSharp (this build references the CPU LibTorch; see docs/gpu.md for running on a GPU)"),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}

using static TorchSharp.torch;

namespace HistoPrognosis.Models;

/// <summary>Turns the user's <c>--device cpu|cuda</c> into a TorchSharp device, refusing CUDA clearly when absent.</summary>
public static class ComputeDevice
{
    public static Device Resolve(string? name)
    {
        switch ((name ?? "cpu").Trim().ToLowerInvariant())
        {
            case "cpu":
                return CPU;
            case "cuda":
                if (!cuda.is_available())
                    throw new UserInputException("--device cuda was requested but no CUDA device is available to TorchSharp (this build references the CPU LibTorch; see docs/gpu.md for running on a GPU)");
                return CUDA;
            default:
                throw new UserInputException($"--device must be 'cpu' or 'cuda', got '{name}'");
        }
    }
}

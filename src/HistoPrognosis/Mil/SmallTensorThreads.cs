using System.Diagnostics;
using System.Runtime.InteropServices;

namespace HistoPrognosis.Mil;

/// <summary>
/// Runs MIL training with one intra-op thread on the calling thread and restores its previous count afterwards.
/// Bags of a few hundred 8–512-d vectors are far too small to split: with LibTorch's default pool the threads mostly
/// wait on each other (measured: 148 s vs 8 s for the same abmil training on 2 cores, identical result).
/// <para>
/// Not <c>torch.set_num_threads</c>: that is process-wide — it resizes the shared pthreadpool and clears oneDNN's
/// primitive cache — and called while another thread was in a convolution it crashed the process (use-after-free
/// in <c>intrusive_ptr::retain_</c>, a divide error in oneDNN's brgemm blocking; seen in the parallel test host).
/// OpenMP's thread count is a per-thread setting of the runtime LibTorch is linked to, so it is set there, for this
/// thread only. Where no OpenMP runtime is loaded, training runs with the default threads (slower, same result).
/// </para>
/// </summary>
internal sealed class SmallTensorThreads : IDisposable
{
    private readonly int _previous;
    private readonly bool _changed;

    public SmallTensorThreads(TorchSharp.torch.Device device)
    {
        if (device.type != TorchSharp.DeviceType.CPU || OpenMp.Runtime is not { } omp) return;
        _previous = omp.GetMaxThreads();
        _changed = _previous != 1;
        if (_changed) omp.SetNumThreads(1);
    }

    public void Dispose()
    {
        if (_changed) OpenMp.Runtime!.SetNumThreads(_previous);
    }

    /// <summary>The OpenMP runtime loaded with LibTorch (libgomp on Linux, libiomp5 / vcomp on Windows).</summary>
    private sealed class OpenMp
    {
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate void SetNumThreadsFn(int count);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate int GetMaxThreadsFn();

        private readonly SetNumThreadsFn _set;
        private readonly GetMaxThreadsFn _get;

        private OpenMp(IntPtr library)
        {
            _set = Marshal.GetDelegateForFunctionPointer<SetNumThreadsFn>(NativeLibrary.GetExport(library, "omp_set_num_threads"));
            _get = Marshal.GetDelegateForFunctionPointer<GetMaxThreadsFn>(NativeLibrary.GetExport(library, "omp_get_max_threads"));
        }

        public void SetNumThreads(int count) => _set(count);
        public int GetMaxThreads() => _get();

        private static readonly Lazy<OpenMp?> Loaded = new(Find);
        public static OpenMp? Runtime => Loaded.Value;

        private static OpenMp? Find()
        {
            TorchSharp.torch.InitializeDeviceType(TorchSharp.DeviceType.CPU); // LibTorch, and with it its OpenMP, is loaded
            using var self = Process.GetCurrentProcess();
            var modules = self.Modules.Cast<ProcessModule>().ToList();
            // The runtime beside libtorch_cpu first: another library may have loaded the system's OpenMP as well.
            var torchFolder = modules.FirstOrDefault(m => m.ModuleName?.StartsWith("libtorch_cpu", StringComparison.Ordinal) == true
                                                          || m.ModuleName?.StartsWith("torch_cpu", StringComparison.OrdinalIgnoreCase) == true) is { } torch
                ? Path.GetDirectoryName(torch.FileName) : null;
            foreach (var module in modules.OrderBy(m => Path.GetDirectoryName(m.FileName) == torchFolder ? 0 : 1))
            {
                var name = module.ModuleName ?? "";
                if (!(name.StartsWith("libgomp", StringComparison.Ordinal) || name.StartsWith("libiomp", StringComparison.Ordinal)
                      || name.StartsWith("vcomp", StringComparison.OrdinalIgnoreCase))) continue;
                if (NativeLibrary.TryLoad(module.FileName, out var library)
                    && NativeLibrary.TryGetExport(library, "omp_set_num_threads", out _)
                    && NativeLibrary.TryGetExport(library, "omp_get_max_threads", out _))
                    return new OpenMp(library);
            }
            return null;
        }
    }
}

using System.Runtime.InteropServices;

namespace HistoPrognosis.Models;

/// <summary>
/// Keeps LibTorch's large tensor buffers in the C heap between batches. glibc serves an allocation above its mmap
/// threshold (128 KiB, rising to at most 32 MiB as blocks are freed) with fresh pages and unmaps them on free, so each
/// batch's activations (a ResNet stem's output is 36 MiB at 96 px, batch 64) page-fault and are zeroed anew: 0.87
/// million faults in 34 batches, about 10% of oneDNN extraction and of a training step here. Raising the mmap
/// threshold and the trim threshold lets freed blocks be reused instead (bench/RESULTS.md). Process-wide and
/// idempotent; a no-op where the C library is not glibc.
/// </summary>
public static unsafe class NativeHeap
{
    private const int TrimThreshold = -1, TopPad = -2, MmapThreshold = -3;
    private static int _attempted;

    /// <summary>Largest allocation kept in the heap rather than mapped, and the free memory kept before returning any.</summary>
    public const int KeptBlockBytes = 1 << 30, RetainedBytes = 1 << 29;

    public static void KeepLargeBlocks()
    {
        if (Interlocked.Exchange(ref _attempted, 1) != 0 || !OperatingSystem.IsLinux()) return;
        if (!NativeLibrary.TryLoad("libc.so.6", out var libc) || !NativeLibrary.TryGetExport(libc, "mallopt", out var address)) return;
        var mallopt = (delegate* unmanaged[Cdecl]<int, int, int>)address;
        // glibc caps the mmap threshold at half its arena heap size (32 MiB on 64-bit) when set through mallopt.
        if (mallopt(MmapThreshold, KeptBlockBytes) != 1) mallopt(MmapThreshold, 32 << 20);
        mallopt(TrimThreshold, RetainedBytes);
        mallopt(TopPad, 64 << 20);
    }
}

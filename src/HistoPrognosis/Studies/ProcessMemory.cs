using System.Diagnostics;
using System.Runtime.InteropServices;

namespace HistoPrognosis.Studies;

/// <summary>
/// Peak resident memory of one piece of work inside a long process (a study's run), not of the process so far:
/// on Linux the kernel's high-water mark (VmHWM, what <see cref="Process.PeakWorkingSet64"/> reads) is reset by
/// writing 5 to /proc/self/clear_refs, after freed memory has gone back to the system (GC, then glibc's malloc_trim:
/// LibTorch's freed tensors otherwise stay in malloc's arenas and count toward the next run's peak).
/// </summary>
public static partial class ProcessMemory
{
    /// <summary>Returns freed memory to the system and starts a new peak; false where the platform cannot (the peak then covers the process).</summary>
    public static bool ResetPeak()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            MallocTrim(0);
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Peak resident set in MiB since the last <see cref="ResetPeak"/> (or since the process started).</summary>
    public static long PeakMb()
    {
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64 / (1 << 20);
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}

using System.Runtime.InteropServices;
using HistoPrognosis.Studies;

namespace HistoPrognosis.Tests.Studies;

/// <summary>In the collection that runs alone: another test allocating at the same time would move this process's peak.</summary>
[Collection(TorchCollection.Name)]
public sealed class ProcessMemoryTests
{
    [Fact]
    public void PeakCoversOnlyTheWorkSinceTheReset()
    {
        Assert.True(ProcessMemory.ResetPeak(), "Linux resets the peak through /proc/self/clear_refs");
        long before = ProcessMemory.PeakMb();
        const int mb = 400;
        var block = Marshal.AllocHGlobal(mb << 20);
        try
        {
            for (int offset = 0; offset < mb << 20; offset += 4096) Marshal.WriteByte(block, offset, 1); // resident only once touched
            Assert.True(ProcessMemory.PeakMb() >= before + mb * 9 / 10, $"peak {ProcessMemory.PeakMb()} MiB after touching {mb} MiB on {before}");
        }
        finally
        {
            Marshal.FreeHGlobal(block);
        }
        ProcessMemory.ResetPeak();
        Assert.True(ProcessMemory.PeakMb() < before + mb / 2, $"peak {ProcessMemory.PeakMb()} MiB after the reset, {before} before the block");
    }
}

using HistoPrognosis.Data;
using HistoPrognosis.Tiling;

namespace HistoPrognosis.Tests.Data;

public sealed class InputConfigTests
{
    [Fact]
    public void MaxPatientsKeepsTheTablesFirstPatientsAndTheirCohortRows()
    {
        var all = PatchTable.Load(TestPaths.DemoLabels, requireLabel: false);
        var input = new InputConfig { Patches = TestPaths.DemoLabels, MaxPatients = 4 };
        var table = input.LoadPatches(new TilingOptions(), "tiles", PipelineLog.Silent);
        Assert.Equal(all.PatientIds.Take(4), table.PatientIds);
        Assert.Equal(all.Patches.Where(p => table.PatientIds.Contains(p.PatientId)).Select(p => p.Path), table.Patches.Select(p => p.Path));

        var dir = TestPaths.NewTempDirectory();
        var path = Path.Combine(dir, "cohort.csv");
        File.WriteAllLines(path, ["patient_id,time_months,event", .. all.PatientIds.Select((id, i) => $"{id},{10 + i},{i % 2}")]);
        var cohort = Cohort.Load(path, requireOutcome: true);
        var restricted = input.Restrict(cohort, table);
        Assert.Equal(table.PatientIds, restricted.Patients.Select(p => p.PatientId));
        // Without a limit, nothing is left out.
        Assert.Equal(cohort.Patients.Count, (input with { MaxPatients = 0 }).Restrict(cohort, table).Patients.Count);
        TestPaths.TryDelete(dir);
    }
}

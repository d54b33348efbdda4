using HistoPrognosis.Data;

namespace HistoPrognosis.Tests.Data;

public sealed class PatientSplitTests
{
    private static readonly string[] Patients = Enumerable.Range(100, 60).Select(i => i.ToString()).ToArray();

    [Fact]
    public void EveryPatientIsInExactlyOnePart()
    {
        var split = PatientSplit.Create(Patients, 0.2, 0.3, seed: 5, stratum: id => int.Parse(id) % 3);
        var all = split.Train.Concat(split.Validation).Concat(split.Test).ToList();
        Assert.Equal(Patients.Length, all.Count);
        Assert.Equal(Patients.OrderBy(p => p), all.OrderBy(p => p));
        Assert.Empty(split.Train.Intersect(split.Test));
        Assert.Empty(split.Train.Intersect(split.Validation));
        Assert.Empty(split.Validation.Intersect(split.Test));
        Assert.Equal(18, split.Test.Count);
        Assert.Equal(12, split.Validation.Count);
    }

    [Fact]
    public void SameSeedSameSplitAndInputOrderDoesNotMatter()
    {
        var a = PatientSplit.Create(Patients, 0.2, 0.3, seed: 9);
        var b = PatientSplit.Create(Patients.Reverse().ToArray(), 0.2, 0.3, seed: 9);
        var c = PatientSplit.Create(Patients, 0.2, 0.3, seed: 10);
        Assert.Equal(a.Test, b.Test);
        Assert.Equal(a.Train, b.Train);
        Assert.NotEqual(a.Test, c.Test);
    }

    [Fact]
    public void StrataAreSpreadOverParts()
    {
        var split = PatientSplit.Create(Patients, 0.2, 0.3, seed: 1, stratum: id => int.Parse(id) < 110 ? 1 : 0);
        // 10 patients in stratum 1: 3 to test, 2 to validation, 5 to train.
        Assert.Equal(3, split.Test.Count(id => int.Parse(id) < 110));
        Assert.Equal(2, split.Validation.Count(id => int.Parse(id) < 110));
    }

    [Fact]
    public void DemoSplitOfRealPatchesHasNoPatchLeakage()
    {
        var table = PatchTable.Load(TestPaths.DemoLabels, requireLabel: true);
        var split = PatientSplit.Create(table.PatientIds, 0.2, 0.3, seed: 7);
        var trainPaths = table.Subset(split.Train).Patches.Select(p => p.Path).ToHashSet();
        var testPaths = table.Subset(split.Test).Patches.Select(p => p.Path).ToList();
        Assert.Equal(60, table.PatientIds.Count);
        Assert.DoesNotContain(testPaths, trainPaths.Contains);
        // Patch file names carry the patient id: no test patch belongs to a training patient.
        Assert.All(testPaths, p => Assert.DoesNotContain(Path.GetFileName(p).Split('_')[0], split.Train));
    }
}

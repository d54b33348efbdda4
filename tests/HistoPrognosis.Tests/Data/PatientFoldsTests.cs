using HistoPrognosis.Data;

namespace HistoPrognosis.Tests.Data;

public sealed class PatientFoldsTests
{
    [Fact]
    public void FoldsPartitionPatientsAndBalanceEventsAndSites()
    {
        var ids = Enumerable.Range(0, 53).Select(i => $"p{i}").ToList();
        var @event = ids.Select((_, i) => i % 3 == 0).ToArray();          // 18 events
        var site = ids.Select((_, i) => i % 4 == 0 ? "A" : "B").ToArray();
        var fold = PatientFolds.Assign(ids, 5, seed: 11, PatientFolds.ByEventAndSite(@event, site));
        Assert.All(fold, f => Assert.InRange(f, 0, 4));
        var sizes = Enumerable.Range(0, 5).Select(f => fold.Count(x => x == f)).ToArray();
        Assert.True(sizes.Max() - sizes.Min() <= 1, string.Join(",", sizes));
        var events = Enumerable.Range(0, 5).Select(f => Enumerable.Range(0, 53).Count(i => fold[i] == f && @event[i])).ToArray();
        Assert.True(events.Max() - events.Min() <= 2, string.Join(",", events)); // dealt per stratum, within one per stratum
        var siteA = Enumerable.Range(0, 5).Select(f => Enumerable.Range(0, 53).Count(i => fold[i] == f && site[i] == "A")).ToArray();
        Assert.True(siteA.Max() - siteA.Min() <= 2, string.Join(",", siteA));
        Assert.Equal(fold, PatientFolds.Assign(ids, 5, seed: 11, PatientFolds.ByEventAndSite(@event, site)));
        Assert.NotEqual(fold, PatientFolds.Assign(ids, 5, seed: 12, PatientFolds.ByEventAndSite(@event, site)));
        // The fold of a patient depends on the ids, not on the order they are listed in.
        var reversed = Enumerable.Range(0, 53).Reverse().ToArray();
        var foldReversed = PatientFolds.Assign(reversed.Select(i => ids[i]).ToList(), 5, 11, i => PatientFolds.ByEventAndSite(@event, site)(reversed[i]));
        Assert.Equal(fold, reversed.Select((_, k) => foldReversed[Array.IndexOf(reversed, k)]).ToArray());
    }

    [Fact]
    public void TooFewPatientsOrFoldsAreUserErrors()
    {
        Assert.Throws<UserInputException>(() => PatientFolds.Assign(["a", "b"], 3, 1));
        Assert.Throws<UserInputException>(() => PatientFolds.Assign(["a", "b"], 1, 1));
    }
}

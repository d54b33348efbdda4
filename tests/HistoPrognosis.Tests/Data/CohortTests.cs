using HistoPrognosis.Data;

namespace HistoPrognosis.Tests.Data;

public sealed class CohortTests
{
    private static string Write(string text)
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "cohort.csv");
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData("patient_id,time_months,event\na,10,1\na,12,0\n", "row 3: duplicate patient_id 'a'")]
    [InlineData("patient_id,time_months,event\na,-1,1\n", "row 2, column 'time_months': -1 is negative")]
    [InlineData("patient_id,time_months,event\na,,1\n", "row 2, column 'time_months': empty")]
    [InlineData("patient_id,time_months,event\na,NaN,1\n", "row 2, column 'time_months': 'NaN'")]
    [InlineData("patient_id,time_months,event\na,5,2\n", "row 2, column 'event': '2' is not 0 or 1")]
    [InlineData("patient_id,event\na,1\n", "required column 'time_months'")]
    public void BadCohortsNameFileRowAndField(string text, string expected)
    {
        var path = Write(text);
        var ex = Assert.Throws<UserInputException>(() => Cohort.Load(path, requireOutcome: true));
        Assert.Contains(expected, ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void TimeZeroIsKeptAsRsSurvivalKeepsIt()
    {
        var cohort = Cohort.Load(Write("patient_id,time_months,event\na,0,1\nb,0.0,0\nc,3,1.0\n"), requireOutcome: true);
        Assert.Equal([0.0, 0.0, 3.0], cohort.Time);
        Assert.Equal([true, false, true], cohort.Events);
    }

    [Fact]
    public void PredictionCohortNeedsNoFollowUp()
    {
        var cohort = Cohort.Load(Write("patient_id,age\nx,50\ny,61\n"), requireOutcome: false);
        Assert.False(cohort.HasOutcome);
        Assert.Equal(["x", "y"], cohort.Patients.Select(p => p.PatientId));
    }

    [Fact]
    public void ClinicalEncoderStandardisesNumbersOneHotsLevelsAndRefusesGroundTruth()
    {
        var train = Cohort.Load(Write("patient_id,time_months,event,age,grade,eta\na,10,1,50,G1,0.1\nb,20,0,70,G3,0.2\nc,30,1,60,G1,0.3\n"), requireOutcome: true);
        var encoder = ClinicalEncoder.Fit(train, ["age", "grade"]);
        Assert.Equal(3, encoder.Width); // age + one-hot {G1, G3}
        var rows = encoder.Encode(train);
        Assert.Equal([-1f, 1f, 0f], rows[0]); // (50 − 60) / sd 10
        Assert.Equal([1f, 0f, 1f], rows[1]);
        var test = Cohort.Load(Write("patient_id,age,grade\nd,65,G2\n"), requireOutcome: false);
        Assert.Equal([0.5f, 0f, 0f], encoder.Encode(test)[0]); // unseen level: all zeros
        Assert.Contains("'eta' is an outcome or ground-truth column", Assert.Throws<UserInputException>(() => ClinicalEncoder.Fit(train, ["eta"])).Message);
        var lacking = Cohort.Load(Write("patient_id,grade\nd,G2\n"), requireOutcome: false);
        Assert.Contains("clinical column 'age' is missing", Assert.Throws<UserInputException>(() => encoder.Encode(lacking)).Message);
    }
}

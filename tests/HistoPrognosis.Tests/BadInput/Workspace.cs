using HistoPrognosis.Data;

namespace HistoPrognosis.Tests.BadInput;

/// <summary>
/// The valid inputs every case starts from, written once per test run: two real IDC patches (one of each label) for
/// each of four patients A–D, their cohort and predicted risks, a stain target, and a model trained on them (for the
/// predict cases, trained on first use). A case swaps one of these for its hostile file.
/// </summary>
public sealed class Workspace
{
    /// <summary>Two events, each before both censorings, so every 2-fold split holds a comparable pair in each fold.</summary>
    public const string CohortText = "patient_id,time_months,event,age\nA,10,1,50\nB,40,0,60\nC,20,1,70\nD,70,0,40\n";
    public static readonly string[] PatientIds = ["A", "B", "C", "D"];

    private readonly Lazy<Task<string>> _model;

    public Workspace()
    {
        Root = TestPaths.NewTempDirectory();
        DataHome = Directory.CreateDirectory(Path.Combine(Root, "xdg")).FullName;
        var demo = CsvTable.Read(TestPaths.DemoLabels);
        var demoRoot = Path.GetDirectoryName(TestPaths.DemoLabels)!;
        // The first demo patients that have patches of both labels, renamed A–D.
        var rows = new List<string> { "path,patient_id,label" };
        foreach (var (patient, id) in demo.Rows.GroupBy(r => r.Fields[1])
                     .Where(g => g.Select(r => r.Fields[2]).Distinct().Count() == 2).Take(PatientIds.Length).Zip(PatientIds))
            foreach (var label in new[] { "0", "1" })
                rows.Add($"{Path.Combine(demoRoot, patient.First(r => r.Fields[2] == label).Fields[0])},{id},{label}");
        GoodPatchRows = rows.Skip(1).ToList();
        Patches = Write("patches.csv", string.Join('\n', rows) + "\n");
        Cohort = Write("cohort.csv", CohortText);
        Risks = Write("risks.csv", "patient_id,risk,p_event_5y\nA,0.9,0.8\nB,0.2,0.3\nC,0.5,0.6\nD,0.1,0.2\n");
        Target = Path.Combine(Root, "target.png");
        File.Copy(GoodPatchRows[1].Split(',')[0], Target);
        _model = new(TrainModel);
    }

    public string Root { get; }
    public string DataHome { get; }
    public string Patches { get; }
    /// <summary>The data rows of <see cref="Patches"/> (absolute path, patient, label), for tables that add a hostile row.</summary>
    public IReadOnlyList<string> GoodPatchRows { get; }
    public string Cohort { get; }
    public string Risks { get; }
    public string Target { get; }
    public string Cache => Path.Combine(Root, "cache");

    /// <summary>The model directory of <c>histoprog train</c> on the good inputs.</summary>
    public Task<string> Model => _model.Value;

    private async Task<string> TrainModel()
    {
        var model = Path.Combine(Root, "model");
        var result = await CliChild.RunAsync(["train", "--cohort", Cohort, "--patches", Patches, "--backbone", "scratch", "--image-size", "32", "--epochs", "1",
            "--feature-cache", Cache, "--out", model], Root, DataHome);
        if (result.Exit != 0) throw new InvalidOperationException($"training the workspace model failed: {result.Stderr}");
        return model;
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(Root, name);
        File.WriteAllText(path, text);
        return path;
    }
}

using HistoPrognosis.IO;
using System.Globalization;
using System.Text;
using System.Text.Json;
using HistoPrognosis.Data;
using HistoPrognosis.Imaging;
using HistoPrognosis.Models;
using HistoPrognosis.Reports;
using HistoPrognosis.Stain;
using HistoPrognosis.Survival;
using HistoPrognosis.Training;
using HistoPrognosis.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace HistoPrognosis.Studies;

/// <summary>Settings of the stain-shift study.</summary>
public sealed record StainShiftConfig
{
    public string Patches { get; init; } = "";
    /// <summary>A real second site's table (same columns); when absent, site B is the test patients re-stained.</summary>
    public string? SiteBPatches { get; init; }
    public double TestFraction { get; init; } = 0.3;
    public int Seed { get; init; } = 7;
    public double[] SiteBHematoxylin { get; init; } = SiteRestain.MacenkoReferenceH;
    public double[] SiteBEosin { get; init; } = SiteRestain.MacenkoReferenceE;
    public double SiteBHematoxylinScale { get; init; } = 1.3;
    public double SiteBEosinScale { get; init; } = 0.7;
    public string Normalizer { get; init; } = "macenko";
    /// <summary>Stain-augmented copies of each training patch, made offline; training spends the same steps either way.</summary>
    public int AugmentedCopies { get; init; } = 3;
    public int BootstrapSamples { get; init; } = 1000;
    public FinetuneConfig Finetune { get; init; } = new() { ImageSize = 64, HeadOnlySteps = 20, FullSteps = 100 };
}

/// <summary>Patch ROC AUC of one arm on one site, with a patient-level bootstrap 95% interval.</summary>
public sealed record StainShiftArm(string Arm, string Site, double Auc, double Lower, double Upper);

/// <summary>
/// Trains the fine-tuned patch classifier on site A and evaluates on site B (a real second cohort, or the test
/// patients re-stained with another stain matrix and intensity), comparing: no handling, stain normalization at test
/// time (the source stain measured per patch, or once per patient as one would per slide), stain augmentation at
/// training, and both. The same test patients on site A give the no-shift reference.
/// </summary>
public sealed class StainShiftStudy(StainShiftConfig config, Device device, PipelineLog log)
{
    public IReadOnlyList<StainShiftArm> Run(OutputFolder output)
    {
        config.Finetune.Validate();
        if (config.AugmentedCopies < 1) throw new UserInputException($"augmented copies must be ≥ 1, got {config.AugmentedCopies}");
        var table = PatchTable.Load(config.Patches, requireLabel: true);
        PatchTable trainTable, testTable;
        if (config.SiteBPatches is { } siteBTable)
        {
            testTable = PatchTable.Load(siteBTable, requireLabel: true);
            var shared = table.PatientIds.Intersect(testTable.PatientIds).ToList();
            if (shared.Count > 0) throw new UserInputException($"{siteBTable} shares {shared.Count} patient(s) with {config.Patches}: site B must be other patients");
            trainTable = table;
        }
        else
        {
            var split = PatientSplit.Create(table.PatientIds, 0, config.TestFraction, config.Seed, source: table.SourcePath);
            (trainTable, testTable) = (table.Subset(split.Train), table.Subset(split.Test));
        }
        int size = config.Finetune.ImageSize;
        var restain = new SiteRestain(config.SiteBHematoxylin, config.SiteBEosin, config.SiteBHematoxylinScale, config.SiteBEosinScale);
        // Patches are read as the feature stage reads them: image files or slide regions, errors naming the row.
        using var reader = new PatchReader();
        var normalizer = StainNormalizers.Create(config.Normalizer);
        normalizer.Fit(Mosaic(trainTable, config.Seed, reader));
        var normalize = new StainNormalize(normalizer);
        var augment = new Compose(new HedJitter(0.05, 0.05), new RandomStainPerturbation(0.05, 0.15));
        RgbImage SiteB(PatchRecord r) => config.SiteBPatches is null ? restain.Apply(reader.Read(r), new Random(0)) : reader.Read(r);

        using var siteA = PatchDataset.Load(testTable.Patches, size, log, "site A test patches", reader);
        using var siteB = PatchDataset.Build(testTable.Patches, size, log, "site B test patches", (r, _) => SiteB(r));
        using var siteBNormalized = PatchDataset.Build(testTable.Patches, size, log, "site B, normalized per patch", (r, _) => normalize.Apply(SiteB(r), new Random(0)));
        // As one would normalize a slide: the source stain measured once per patient, on a mosaic of all its patches.
        var patientSources = testTable.Patches.GroupBy(r => r.PatientId).ToDictionary(g => g.Key, g => EstimateSource(normalizer, g.Select(SiteB).ToList()));
        using var siteBPatientNormalized = PatchDataset.Build(testTable.Patches, size, log, "site B, normalized per patient",
            (r, _) => patientSources[r.PatientId] is { } source ? normalizer.Transform(SiteB(r), source) : SiteB(r));
        using var plainTrain = PatchDataset.Load(trainTable.Patches, size, log, "site A training patches", reader);
        int n = trainTable.Patches.Count;
        var withCopies = Enumerable.Range(0, config.AugmentedCopies + 1).SelectMany(_ => trainTable.Patches).ToList();
        using var augmentedTrain = PatchDataset.Build(withCopies, size, log, "stain-augmented training set", (r, i) =>
        {
            var image = reader.Read(r);
            return i < n ? image : augment.Apply(image, config.Seed, i % n, epoch: i / n); // copy 0 is the original
        });

        var results = new List<StainShiftArm>();
        var trainer = new PatchClassifierTrainer(config.Finetune, device, log);
        foreach (var (name, train) in new[] { ("plain", plainTrain), ("augmented", augmentedTrain) })
        {
            manual_seed(config.Seed);
            using var model = new PatchClassifier(BackboneFactory.Create(BackboneFactory.ImageNet, config.Seed));
            model.to(device);
            trainer.TrainTransfer(model, train, config.Seed + 1, $"{name} training");
            bool augmented = name == "augmented";
            results.Add(Evaluate(augmented ? "augmentation" : "none", "A", model, siteA));
            results.Add(Evaluate(augmented ? "augmentation" : "none", "B", model, siteB));
            results.Add(Evaluate(augmented ? "both" : "normalization", "A", model, siteA));
            results.Add(Evaluate(augmented ? "both" : "normalization", "B", model, siteBNormalized));
            results.Add(Evaluate(augmented ? "both-patient" : "normalization-patient", "A", model, siteA));
            results.Add(Evaluate(augmented ? "both-patient" : "normalization-patient", "B", model, siteBPatientNormalized));
        }
        foreach (var r in results) log.Info($"{r.Arm,-14} site {r.Site}: AUC {r.Auc:F3} ({r.Lower:F3}–{r.Upper:F3})");
        Write(output, results, trainTable, testTable);
        return results;
    }

    private StainShiftArm Evaluate(string arm, string site, PatchClassifier model, PatchDataset data)
    {
        var prob = PatchClassifierTrainer.PredictProbabilities(model, data, device);
        double auc = ClassificationMetrics.RocAuc(prob, data.Labels);
        if (config.BootstrapSamples == 0) return new StainShiftArm(arm, site, auc, double.NaN, double.NaN);
        // Resample patients, not patches: patches of one patient are not independent.
        var patients = data.PatientIds.Distinct().ToArray();
        var rows = patients.Select(p => Enumerable.Range(0, data.Count).Where(i => data.PatientIds[i] == p).ToArray()).ToArray();
        var interval = Bootstrap.Percentile(patients.Length, idx =>
        {
            var chosen = new List<int>();
            foreach (var k in idx) chosen.AddRange(rows[k]);
            var value = ClassificationMetrics.RocAuc(chosen.Select(i => prob[i]).ToArray(), chosen.Select(i => data.Labels[i]).ToArray());
            return double.IsNaN(value) ? throw new ArgumentException("resample with one class") : value;
        }, config.BootstrapSamples, config.Seed);
        return new StainShiftArm(arm, site, auc, interval.Lower, interval.Upper);
    }

    // Null when the patient's patches hold no tissue to measure: those patches are left as they are.
    private static StainSource? EstimateSource(IStainNormalizer normalizer, IReadOnlyList<RgbImage> patches)
    {
        try
        {
            return normalizer.EstimateSource(Imaging.Mosaic.Build(patches));
        }
        catch (UserInputException)
        {
            return null;
        }
    }

    /// <summary>The normalization target: a mosaic of 64 training patches drawn with the seed (pads short edge patches white).</summary>
    private static RgbImage Mosaic(PatchTable table, int seed, PatchReader reader)
    {
        var patches = table.Patches.ToArray();
        new Random(seed).Shuffle(patches);
        return Imaging.Mosaic.Build(patches.Take(64).Select(reader.Read).ToList());
    }

    private void Write(OutputFolder output, IReadOnlyList<StainShiftArm> results, PatchTable train, PatchTable test)
    {
        File.WriteAllText(output.File("stain-shift.json"), JsonSerializer.Serialize(new
        {
            config,
            train_patients = train.PatientIds.Count,
            test_patients = test.PatientIds.Count,
            site_b = config.SiteBPatches ?? "test patients re-stained (SiteRestain)",
            arms = results,
        }, HistoPrognosis.IO.JsonDefaults.Options));
        var s = new StringBuilder("| arm | site A AUC (95% CI) | site B AUC (95% CI) |\n|---|---|---|\n");
        foreach (var arm in results.Select(r => r.Arm).Distinct())
        {
            var a = results.First(r => r.Arm == arm && r.Site == "A");
            var b = results.First(r => r.Arm == arm && r.Site == "B");
            s.AppendLine(CultureInfo.InvariantCulture, $"| {arm} | {a.Auc:F3} ({a.Lower:F3}–{a.Upper:F3}) | {b.Auc:F3} ({b.Lower:F3}–{b.Upper:F3}) |");
        }
        File.WriteAllText(output.File("table.md"), s.ToString());
        var series = results.Select(r => r.Arm).Distinct().Select(arm => new ChartSeries(arm,
            results.Where(r => r.Arm == arm).Select(r => (r.Site == "A" ? 1.0 : 2.0, r.Auc, r.Lower, r.Upper)).ToList())).ToList();
        File.WriteAllText(output.File("stain-shift.svg"), LineChartSvg.Render("Patch ROC AUC: site A (x = 1) → site B (x = 2)", "site", "ROC AUC (95% patient bootstrap CI)", series));
    }
}

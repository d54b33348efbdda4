using System.Text.Json;
using System.Text.RegularExpressions;
using HistoPrognosis.Reports;
using HistoPrognosis.Reports.Html;
using HistoPrognosis.Tests.Studies;
using SkiaSharp;

namespace HistoPrognosis.Tests.Reports;

/// <summary>The HTML writer on its own: everything escaped, images inline.</summary>
public sealed class HtmlWriterTests
{
    [Fact]
    public void TextAndAttributesAreEscapedAndImagesAreDataUris()
    {
        var html = new HtmlWriter()
            .Heading(2, "<script>alert('x')</script>", id: "a\"b")
            .Table("t", "caption & co", ["<th>"], [["<td> & \"q\""]])
            .Image([1, 2, 3], "alt \"quoted\"", 10, 10)
            .ToString();
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("&lt;script&gt;", html);
        Assert.Contains("id=\"a&quot;b\"", html);
        Assert.Contains("<td>&lt;td&gt; &amp; &quot;q&quot;</td>", html);
        Assert.Contains("src=\"data:image/png;base64,AQID\"", html);
    }
}

/// <summary><c>histoprog report</c> and the report <c>histoprog run</c> writes, on a small real run.</summary>
[Collection(TorchCollection.Name)]
public sealed class HtmlReportTests
{
    private static readonly Regex ExternalReference = new("(src|href)\\s*=\\s*\"(?!data:|#)[a-z][a-z0-9+.-]*:", RegexOptions.IgnoreCase);

    [Fact]
    public void TheRunWritesASelfContainedReportAndModelCards()
    {
        var run = ReportRun.Directory;
        var html = File.ReadAllText(Path.Combine(run, HtmlReport.FileName));
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", "")); // no SVG is inlined, but be exact
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotMatch(ExternalReference, html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        foreach (var id in new[] { "cohort", "metrics", "kaplan-meier", "calibration", "learning-curves", "heatmaps", "patients", "model-card" })
            Assert.Contains($"<section id=\"{id}\">", html);
        // The calibration section shows the evaluation's numbers, not its own.
        var evaluation = JsonSerializer.Deserialize<PrognosisEvaluationResult>(File.ReadAllText(Path.Combine(run, "main", "evaluation", "results.json")), HistoPrognosis.IO.JsonDefaults.Options)!;
        var calibration = Section(html, "calibration");
        Assert.Contains(evaluation.Calibration!.Slope!.Format(), calibration);
        Assert.Equal(evaluation.Calibration.Groups.Count, Regex.Matches(Section(html, "calibration"), "<tr><td>").Count - 1); // + the summary row
        // The run drew the heatmaps of report.heatmap_patients test patients (mean pooling: risk maps only, and says so).
        var heatmaps = File.ReadAllLines(Path.Combine(run, "heatmaps", "heatmaps.csv"));
        Assert.Equal(6 + 1, heatmaps.Length);
        Assert.True(File.Exists(Path.Combine(run, "heatmaps", "notes.txt")));
        Assert.Contains("risk.png", Section(html, "heatmaps"));
        Assert.DoesNotContain("<section id=\"crossval\">", html);
        Assert.Contains("<table id=\"at-risk-main\">", html);
        Assert.Equal(ReportRun.TestPatients, Regex.Matches(Section(html, "patients"), "<tr><td>").Count);

        // The model card at run level has the test metrics; the model folder's has none yet but the same predictors.
        var card = ModelCardFile.TryRead(run)!;
        var trained = ModelCardFile.TryRead(Path.Combine(run, "main", "model"))!;
        Assert.Contains(card.Performance, m => m.Name == "Harrell C" && m.Arm == "main" && m.On.StartsWith($"{ReportRun.TestPatients} test patients"));
        Assert.Empty(trained.Performance);
        Assert.Equal(trained.Predictors.WeightsHash, card.Predictors.WeightsHash);
        Assert.Matches("^[0-9a-f]{64}$", card.Predictors.WeightsHash);
        Assert.True(card.Data.SemiSyntheticOutcome);
        Assert.Contains(card.Limitations, l => l.Contains("semi-synthetic"));
        Assert.Equal(24, card.Participants.Patients);
        Assert.Contains(card.Performance, m => m.Name == "calibration slope at 60 months" && m.Lower is not null);
        Assert.Contains(card.Performance, m => m.Name == "integrated Brier score, 0–60 months" && m.Lower is not null); // the Cox head's curve
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, ModelCardFile.JsonName)));
        Assert.True(json.RootElement.TryGetProperty("intended_use", out _));
        var markdown = File.ReadAllText(Path.Combine(run, "main", "model", ModelCardFile.MarkdownName));
        foreach (var heading in new[] { "## Data", "## Participants", "## Outcome", "## Predictors", "## Splits", "## Tuning", "## Limitations", "## Intended use", "## Identifiers" })
            Assert.Contains(heading, markdown);
    }

    [Fact]
    public void TheReportCommandEscapesWhatTheRunWroteAndShowsHeatmapsWhenThereAreAny()
    {
        var run = ReportRun.Copy();
        var results = Path.Combine(run, "results.json");
        File.WriteAllText(results, File.ReadAllText(results).Replace("\"title\": \"HistoPrognosis run\"", "\"title\": \"<img src=x onerror=alert(1)> & co\""));
        var slide = Path.Combine(run, "heatmaps", "slide <1>");
        Directory.CreateDirectory(slide);
        WritePng(Path.Combine(slide, "attention.png"), 400, 300);
        var output = Path.Combine(run, "elsewhere", "page.html");
        var (exit, _, error) = PrognosisPipelineTests.Run("report", run, "--out", output);
        Assert.True(exit == 0, error);
        var html = File.ReadAllText(output);
        Assert.DoesNotContain("<img src=x", html);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt; &amp; co", html);
        var heatmaps = Section(html, "heatmaps");
        // The thumbnail is inline; its link is the full image, relative to the page's folder.
        Assert.Contains("href=\"../heatmaps/slide%20%3C1%3E/attention.png\"", heatmaps);
        Assert.Contains("src=\"data:image/png;base64,", heatmaps);
        Assert.DoesNotMatch(ExternalReference, html);
    }

    [Fact]
    public void AFolderWithoutResultsIsBadInputAndNothingIsWritten()
    {
        var dir = TestPaths.NewTempDirectory();
        var (exit, _, error) = PrognosisPipelineTests.Run("report", dir);
        Assert.NotEqual(0, exit);
        Assert.Contains(Path.Combine(dir, "results.json"), error);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
    }

    /// <summary>The HTML of one section.</summary>
    internal static string Section(string html, string id)
    {
        int start = html.IndexOf($"<section id=\"{id}\">", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no section {id}");
        return html[start..html.IndexOf("</section>", start, StringComparison.Ordinal)];
    }

    /// <summary>A stand-in heatmap image: a colour gradient.</summary>
    internal static void WritePng(string path, int width, int height)
    {
        using var bitmap = new SKBitmap(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bitmap.SetPixel(x, y, new SKColor((byte)(255 * x / width), 64, (byte)(255 * y / height)));
        using var data = SKImage.FromBitmap(bitmap).Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }
}

/// <summary>The report of a cross-validation run: folds instead of test patients.</summary>
[Collection(TorchCollection.Name)]
public sealed class CrossvalReportTests
{
    [Fact]
    public void ACrossValidationRunReportsEveryFoldAndItsPooledC()
    {
        var dir = TestPaths.NewTempDirectory();
        var config = Path.Combine(dir, "cv.yaml");
        File.WriteAllText(config, $"""
            seed: 4
            input:
              patches: {TestPaths.DemoLabels}
              simulate_follow_up: true
              max_patients: 16
            features: {"{"}backbone: scratch, image_size: 32, cache: cache{"}"}
            model:
              mil: {"{"}epochs: 3{"}"}
            crossval: {"{"}folds: 2{"}"}
            evaluation: {"{"}bootstrap_samples: 10{"}"}
            """);
        var outDir = Path.Combine(dir, "out");
        var (exit, _, error) = PrognosisPipelineTests.Run("run", config, "--out", outDir);
        Assert.True(exit == 0, error);
        var html = File.ReadAllText(Path.Combine(outDir, HtmlReport.FileName));
        Assert.Equal(2, Regex.Matches(HtmlReportTests.Section(html, "crossval"), "<tr><td>mean</td><td>[12]</td>").Count);
        Assert.DoesNotContain("<section id=\"patients\">", html);
        var card = ModelCardFile.TryRead(outDir)!;
        Assert.Contains(card.Performance, m => m.Name == "Harrell C" && m.On.Contains("pooled out-of-fold"));
        Assert.Equal(16, card.Participants.Patients);
    }
}

public sealed class NumbersAtRiskTests
{
    [Fact]
    public void CountsThePatientsStillFollowedAtEachYear()
    {
        var table = NumbersAtRisk.Of([("low", [10, 30, 50, 70]), ("high", [5, 12, 13])]);
        Assert.Equal([0, 12, 24, 36, 48, 60], table.Times);
        Assert.Equal([4, 3, 3, 2, 2, 1], table.Groups[0].AtRisk);
        Assert.Equal([3, 2, 0, 0, 0, 0], table.Groups[1].AtRisk);
    }
}

/// <summary>The ScottPlot charts: SVG the same bytes every time (a resumed stage rewrites its plot byte for byte), PNG decodable.</summary>
public sealed class LineChartTests
{
    private static readonly ChartSeries[] Series = [new("validation AUC", [(1, 0.5, 0.4, 0.6), (5, 0.61, double.NaN, double.NaN), (9, 0.7, 0.6, 0.8)])];

    [Fact]
    public void TheSvgIsTheSameOnEveryRenderAndThePngDecodes()
    {
        var first = LineChartSvg.Render("AUC <during> training", "step", "AUC", Series, logX: true);
        Assert.Equal(first, LineChartSvg.Render("AUC <during> training", "step", "AUC", Series, logX: true));
        Assert.Contains("<svg", first);
        Assert.DoesNotContain("NaN", first);
        using var png = SKBitmap.Decode(LineChart.Png(LineChart.Build("AUC", "step", "AUC", Series), 400, 300));
        Assert.Equal((400, 300), (png.Width, png.Height));
    }
}

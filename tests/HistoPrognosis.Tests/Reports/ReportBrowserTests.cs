using PuppeteerSharp;

namespace HistoPrognosis.Tests.Reports;

/// <summary>
/// report.html in a real browser: Debian's headless Chromium (installed by build/install-deps.sh; never downloaded)
/// driven by PuppeteerSharp. The full-page screenshot and the page are kept as test artefacts in
/// <c>tests/HistoPrognosis.Tests/TestResults/report-browser/</c> (or <c>$HISTOPROG_TEST_ARTIFACTS/report-browser/</c>).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ReportBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    public static string ArtefactFolder => Path.Combine(
        Environment.GetEnvironmentVariable("HISTOPROG_TEST_ARTIFACTS") is { Length: > 0 } root ? root : Path.Combine(TestPaths.RepositoryRoot, "tests", "HistoPrognosis.Tests", "TestResults"),
        "report-browser");

    [Fact]
    public async Task TheReportOpensOfflineWithEveryImageDecodedAndNoConsoleError()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} not found: run build/install-deps.sh (Debian package chromium)");
        var run = ReportRun.Copy();
        // The run drew its heatmaps; the report links a thumbnail of each image.
        int heatmapImages = Directory.GetFiles(Path.Combine(run, "heatmaps"), "*.png", SearchOption.AllDirectories).Length;
        Assert.True(heatmapImages >= 6, $"{heatmapImages} heatmap images");
        var (exit, _, error) = Studies.PrognosisPipelineTests.Run("report", run);
        Assert.True(exit == 0, error);
        var page = Path.Combine(run, "report.html");

        await using var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            UserDataDir = Path.Combine(Path.GetDirectoryName(run)!, "chromium-profile"),
        });
        await using var tab = await browser.NewPageAsync();
        await tab.SetViewportAsync(new ViewPortOptions { Width = 1200, Height = 900 });
        var problems = new List<string>();
        tab.Console += (_, e) => { if (e.Message.Type == ConsoleType.Error) problems.Add($"console: {e.Message.Text}"); };
        tab.PageError += (_, e) => problems.Add($"page error: {e.Message}");
        tab.RequestFailed += (_, e) => problems.Add($"request failed: {e.Request.Url}");
        // Offline: the page may load itself and nothing else (its images are data: URIs).
        tab.Request += (_, e) => { if (!e.Request.Url.StartsWith("file:", StringComparison.Ordinal) && !e.Request.Url.StartsWith("data:", StringComparison.Ordinal)) problems.Add($"request: {e.Request.Url}"); };
        var response = await tab.GoToAsync(new Uri(page).AbsoluteUri, WaitUntilNavigation.Load);
        Assert.True(response.Ok, $"{page}: {response.Status}");

        Directory.CreateDirectory(ArtefactFolder);
        await tab.ScreenshotAsync(Path.Combine(ArtefactFolder, "report.png"), new ScreenshotOptions { FullPage = true });
        File.Copy(page, Path.Combine(ArtefactFolder, "report.html"), overwrite: true);

        Assert.Empty(problems);
        int images = await tab.EvaluateExpressionAsync<int>("document.images.length");
        int broken = await tab.EvaluateExpressionAsync<int>("Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).length");
        Assert.True(images >= 4 + heatmapImages, $"{images} images"); // Kaplan–Meier, calibration, decision curve, learning curve, heatmap thumbnails
        Assert.Equal(0, broken);
        foreach (var table in new[] { "cohort-table", "metrics-table", "at-risk-main", "calibration-main", "calibration-groups-main", "patients-main", "model-card-table" })
            Assert.True(await tab.EvaluateExpressionAsync<bool>($"document.getElementById('{table}') !== null"), $"no table #{table}");
        Assert.Equal(ReportRun.TestPatients, await tab.EvaluateExpressionAsync<int>("document.querySelectorAll('#patients-main tbody tr').length"));
        Assert.Equal(2, await tab.EvaluateExpressionAsync<int>("document.querySelectorAll('#at-risk-main tbody tr').length"));
        Assert.Equal(heatmapImages, await tab.EvaluateExpressionAsync<int>("document.querySelectorAll('#heatmaps a img').length"));
    }
}

using HistoPrognosis.Cli;
using HistoPrognosis.Configuration;
using HistoPrognosis.Mil;
using HistoPrognosis.Reports;
using HistoPrognosis.Training;
using HistoPrognosis.Workflow;

namespace HistoPrognosis.Tests.Configuration;

[Collection(TorchCollection.Name)]
public sealed class ConfigBinderTests
{
    private static RunConfig Parse(string text) => ConfigBinder.Parse<RunConfig>(text, "test.yaml");

    [Fact]
    public void AnEmptyConfigIsTheRecordsDefaults()
    {
        Assert.Equal(new RunConfig().ToYaml(), Parse("").ToYaml());
        Assert.Equal(new RunConfig().ToYaml(), Parse("# nothing but a comment\n").ToYaml());
    }

    [Fact]
    public void KeysOverrideOnlyWhatTheyName()
    {
        var config = Parse("""
            seed: 11
            model:
              aggregator: abmil
              loss: binary5y
              clinical: [age, grade]
              mil:
                epochs: 40
                learning_rate: 2.5e-4
            crossval:
              aggregators: mean, clam
            evaluation:
              protocol: holdout
            finetune:
              policy: gradual
            """);
        Assert.Equal(11, config.Seed);
        Assert.Equal(MilAggregatorKind.Abmil, config.Model.Aggregator);
        Assert.Equal(SurvivalLoss.Binary5y, config.Model.Loss);
        Assert.Equal(["age", "grade"], config.Model.Clinical);
        Assert.Equal(40, config.Model.Mil.Epochs);
        Assert.Equal(2.5e-4, config.Model.Mil.LearningRate);
        Assert.Equal(new MilConfig().PcaComponents, config.Model.Mil.PcaComponents); // untouched key keeps the record's default
        Assert.Equal([MilAggregatorKind.Mean, MilAggregatorKind.Clam], config.Crossval.Aggregators);
        Assert.Equal(EvaluationProtocol.Holdout, config.Evaluation.Protocol);
        Assert.Equal(FinetunePolicy.Gradual, config.Finetune.Policy);
        Assert.Equal(11, config.ResolvedModel.Seed); // the run's one seed reaches the model
    }

    [Fact]
    public void JsonReadsTheSameAsYaml()
    {
        var json = Parse("""{"seed": 3, "model": {"fusion": "gated", "mil": {"dropout": 0.25}}, "features": {"image_size": 64}}""");
        var yaml = Parse("seed: 3\nmodel:\n  fusion: gated\n  mil:\n    dropout: 0.25\nfeatures:\n  image_size: 64\n");
        Assert.Equal(yaml.ToYaml(), json.ToYaml());
        Assert.Equal(FusionMode.Gated, json.Model.Fusion);
        Assert.Equal(64, json.ResolvedFinetune.ImageSize); // fine-tuning runs at the feature size
    }

    [Fact]
    public void TheResolvedYamlReadsBackToTheSameRecord()
    {
        var config = Parse("seed: 5\ninput:\n  patches: /data/p.csv\n  max_patients: 12\nmodel:\n  clinical: [\"a, b\", 'c\"d']\n  horizon_months: 36.5\nreport:\n  title: \"x: y # z\"\n");
        var yaml = config.ToYaml();
        var again = Parse(yaml);
        Assert.Equal(yaml, again.ToYaml());
        Assert.Equal(["a, b", "c\"d"], again.Model.Clinical);
        Assert.Equal("x: y # z", again.Report.Title);
        Assert.Equal(36.5, again.Model.HorizonMonths);
        Assert.Contains("pca_components: 16", yaml); // defaults are written out
        Assert.DoesNotContain("workers", yaml);      // resources are not settings
    }

    [Theory]
    [InlineData("seed: 1\nmodel:\n  agregator: abmil\n", "line 3", "unknown key 'model.agregator'", "did you mean 'aggregator'")]
    [InlineData("sed: 1\n", "line 1", "unknown key 'sed'", "did you mean 'seed'")]
    [InlineData("model:\n  mil:\n    epochs: ten\n", "line 3", "key 'model.mil.epochs'", "an integer")]
    [InlineData("model:\n  aggregator: abmill\n", "line 2", "key 'model.aggregator'", "mean | max | abmil | clam | transmil")]
    [InlineData("model:\n  aggregator: abmill\n", "line 2", "did you mean 'abmil'", "got 'abmill'")]
    [InlineData("model: 3\n", "line 1", "key 'model' is a section", "mapping")]
    [InlineData("seed: 1\nseed: 2\n", "line 2", "Duplicate key seed", "test.yaml")]
    [InlineData("crossval:\n  aggregators: mean, attention\n", "line 2", "key 'crossval.aggregators[1]'", "got 'attention'")]
    [InlineData("input:\n  allow_missing: maybe\n", "line 2", "input.allow_missing", "true or false")]
    [InlineData("seed: [1\n", "line 2", "not valid YAML or JSON", "test.yaml")]
    public void BadKeysAndValuesAreNamedWithTheirLine(string text, string line, string what, string detail)
    {
        var ex = Assert.Throws<UserInputException>(() => Parse(text));
        Assert.StartsWith("test.yaml, ", ex.Message);
        Assert.Contains(line, ex.Message);
        Assert.Contains(what, ex.Message);
        Assert.Contains(detail, ex.Message);
    }

    [Fact]
    public void RelativePathsAreRelativeToTheConfigFile()
    {
        var dir = TestPaths.NewTempDirectory();
        var file = Path.Combine(dir, "sub", "run.yaml");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "input:\n  patches: ../patches.csv\n  cohort: /abs/cohort.csv\nfeatures:\n  backbone: resnet50:w/r50.safetensors\n  compare_backbone: scratch\n");
        var config = RunConfig.Load(file);
        Assert.Equal(Path.Combine(dir, "patches.csv"), config.Input.Patches);
        Assert.Equal("/abs/cohort.csv", config.Input.Cohort);
        Assert.Equal($"resnet50:{Path.Combine(dir, "sub", "w", "r50.safetensors")}", config.Features.Backbone);
        Assert.Equal("scratch", config.Features.CompareBackbone);
    }

    [Fact]
    public void EnumValuesAreTheirLowerCaseNames()
    {
        Assert.Equal("binary5y", ConfigNames.Value(SurvivalLoss.Binary5y));
        Assert.Equal("transmil", ConfigNames.Value(MilAggregatorKind.Transmil));
        Assert.Equal(SurvivalLoss.Binary5y, ConfigNames.Parse<SurvivalLoss>("Binary5Y", "--loss"));
        var ex = Assert.Throws<UserInputException>(() => ConfigNames.Parse<SurvivalLoss>("coxx", "--loss"));
        Assert.Contains("--loss", ex.Message);
        Assert.Contains("did you mean 'cox'", ex.Message);
    }

    [Fact]
    public async Task ConfigCommandsShowAndValidate()
    {
        var dir = TestPaths.NewTempDirectory();
        var good = Path.Combine(dir, "good.yaml");
        File.WriteAllText(good, $"input:\n  patches: {TestPaths.DemoLabels}\n  simulate_follow_up: true\nmodel:\n  loss: nll\n");
        var output = new StringWriter();
        var root = CliApp.BuildRoot();
        Assert.Equal(0, await root.Parse(["config", "show", good]).InvokeAsync(new() { Output = output }));
        Assert.Contains("loss: nll", output.ToString());
        Assert.Equal(Parse(output.ToString()).ToYaml(), output.ToString());
        Assert.Equal(0, await CliRunner.InvokeAsync(CliApp.BuildRoot(), ["config", "validate", good]));

        var misspelt = Path.Combine(dir, "bad.yaml");
        File.WriteAllText(misspelt, "model:\n  los: nll\n");
        foreach (var args in new[] { new[] { "config", "validate", misspelt }, ["run", misspelt, "--out", Path.Combine(dir, "out")], ["crossval", "--config", misspelt, "--out", Path.Combine(dir, "out")] })
        {
            var (exit, _, error) = Studies.PrognosisPipelineTests.Run(args);
            Assert.Equal(2, exit);
            Assert.Contains("bad.yaml, line 2: unknown key 'model.los'; did you mean 'loss'?", error);
        }
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
    }
}

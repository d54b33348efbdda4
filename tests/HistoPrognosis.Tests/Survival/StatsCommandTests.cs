using System.CommandLine;
using System.Text.Json;
using HistoPrognosis.Cli.Commands;
using static HistoPrognosis.Tests.Survival.SurvivalFixtures;

namespace HistoPrognosis.Tests.Survival;

public class StatsCommandTests
{
    private static readonly string Gbsg = PathOf("gbsg.csv");
    private const string Surv = "--time rfstime --event status";

    private static (int Exit, string Output) Run(string arguments)
    {
        var root = new RootCommand { StatsCommand.Create() };
        var output = new StringWriter();
        int exit = root.Parse(arguments).Invoke(new InvocationConfiguration { Output = output, EnableDefaultExceptionHandler = false });
        return (exit, output.ToString());
    }

    private static JsonElement Json(string arguments)
    {
        var (exit, output) = Run(arguments + " --json");
        Assert.Equal(0, exit);
        return JsonDocument.Parse(output).RootElement;
    }

    [Fact]
    public void Cindex_uno_tdauc_and_logrank_print_R_names_and_values()
    {
        var c = Json($"stats cindex --input {Gbsg} {Surv} --risk nodes");
        Close(0.6452446796, c.GetProperty("concordance").GetDouble(), 1e-8, "concordance");
        Assert.Equal(13988, c.GetProperty("tied.x").GetInt64());

        var u = Json($"stats uno --input {Gbsg} {Surv} --risk nodes --tau 1825");
        Close(0.6298189949, u.GetProperty("concordance").GetDouble(), 1e-8, "uno");

        var a = Json($"stats tdauc --input {Gbsg} {Surv} --risk nodes --at 1825");
        Close(0.6535363624, a.GetProperty("auc").GetDouble(), 1e-8, "auc");

        var l = Json($"stats logrank --input {Gbsg} {Surv} --group grade");
        RelClose(21.09443459, l.GetProperty("chisq").GetDouble(), 1e-6, "chisq");
        Assert.Equal(2, l.GetProperty("df").GetInt32());
        Assert.Equal(81, l.GetProperty("n").GetProperty("1").GetInt32());
    }

    [Fact]
    public void Cox_brier_and_km_print_R_names_and_values()
    {
        var cox = Json($"stats cox --input {Gbsg} {Surv} --covariates age,meno,size,grade,nodes,pgr,er,hormon --ties breslow");
        RelClose(0.28012996, cox.GetProperty("coef").GetProperty("grade").GetDouble(), 1e-5, "coef grade");
        RelClose(0.10605518, cox.GetProperty("se").GetProperty("grade").GetDouble(), 1e-5, "se grade");
        RelClose(-1737.261055, cox.GetProperty("loglik")[1].GetDouble(), 1e-6, "loglik");
        RelClose(-1788.173113, cox.GetProperty("loglik")[0].GetDouble(), 1e-6, "loglik null");

        var b = Json($"stats brier --input {PathOf("r-extra/gbsg/scores.csv")} --time time --event status --risk risk_at_horizon --at 1825");
        Close(0.2087438814, b.GetProperty("brier").GetDouble(), 1e-8, "brier");

        var km = Json($"stats km --input {Gbsg} {Surv} --at 1825");
        Close(0.4916448703, km.GetProperty("surv").GetDouble(), 1e-8, "surv");
        Close(0.4485634906, km.GetProperty("lower").GetDouble(), 1e-8, "lower");
        Close(0.5388639145, km.GetProperty("upper").GetDouble(), 1e-8, "upper");
        Assert.Equal(1807, km.GetProperty("median").GetDouble());
        Assert.Equal(574, Json($"stats km --input {Gbsg} {Surv}").GetProperty("surv").GetArrayLength());
    }

    [Fact]
    public void Bootstrap_adds_a_seeded_percentile_interval()
    {
        var a = Json($"stats cindex --input {Gbsg} {Surv} --risk nodes --bootstrap 100 --seed 9");
        var b = Json($"stats cindex --input {Gbsg} {Surv} --risk nodes --bootstrap 100 --seed 9");
        Assert.Equal(a.GetProperty("lower").GetDouble(), b.GetProperty("lower").GetDouble());
        Assert.True(a.GetProperty("lower").GetDouble() < 0.6452 && 0.6453 < a.GetProperty("upper").GetDouble());
        Assert.Equal(100, a.GetProperty("bootstrap").GetProperty("replicates").GetInt32());
    }

    [Fact]
    public void A_run_config_gives_the_bootstrap_the_seed_and_the_horizon_and_flags_override_it()
    {
        string config = Path.Combine(TestPaths.NewTempDirectory(), "run.yaml");
        File.WriteAllText(config, "seed: 3\nevaluation:\n  bootstrap_samples: 50\nmodel:\n  horizon_months: 1825\n");
        var fromConfig = Json($"stats tdauc --input {Gbsg} {Surv} --risk nodes --config {config}");
        var fromFlags = Json($"stats tdauc --input {Gbsg} {Surv} --risk nodes --at 1825 --bootstrap 50 --seed 3");
        Close(0.6535363624, fromConfig.GetProperty("auc").GetDouble(), 1e-8, "auc at the config's horizon");
        Assert.Equal(1825, fromConfig.GetProperty("times").GetDouble());
        Assert.Equal(50, fromConfig.GetProperty("bootstrap").GetProperty("replicates").GetInt32());
        Assert.Equal(3, fromConfig.GetProperty("bootstrap").GetProperty("seed").GetInt32());
        Assert.Equal(fromFlags.GetProperty("lower").GetDouble(), fromConfig.GetProperty("lower").GetDouble());
        Assert.Equal(fromFlags.GetProperty("upper").GetDouble(), fromConfig.GetProperty("upper").GetDouble());

        var overridden = Json($"stats tdauc --input {Gbsg} {Surv} --risk nodes --config {config} --at 1000 --bootstrap 0");
        Assert.Equal(1000, overridden.GetProperty("times").GetDouble());
        Assert.False(overridden.TryGetProperty("lower", out _));

        File.WriteAllText(config, "evaluation:\n  bootstrap_sample: 50\n");
        var ex = Assert.Throws<UserInputException>(() => Run($"stats cindex --input {Gbsg} {Surv} --risk nodes --config {config}"));
        Assert.Contains("bootstrap_sample", ex.Message);
        Assert.Contains("bootstrap_samples", ex.Message);
        Assert.Throws<UserInputException>(() => Run($"stats tdauc --input {Gbsg} {Surv} --risk nodes"));
    }

    [Fact]
    public void Text_output_is_readable()
    {
        var (exit, output) = Run($"stats logrank --input {Gbsg} {Surv} --group grade");
        Assert.Equal(0, exit);
        Assert.Contains("chisq  21.09443459", output);
    }

    [Theory]
    [InlineData("time,event,risk\n1,1,0.5\n2,3,0.1\n3,0,0.2\n", "stats cindex --time time --event event --risk risk", "row 3, column 'event'")]
    [InlineData("time,event,risk\n1,1,0.5\n-2,1,0.1\n3,0,0.2\n", "stats cindex --time time --event event --risk risk", "row 3, column 'time'")]
    [InlineData("time,event,risk\n1,1,0.5\nNaN,1,0.1\n3,0,0.2\n", "stats cindex --time time --event event --risk risk", "row 3, column 'time'")]
    [InlineData("time,event,risk\n1,1,0.5\n2,1,0.1\n3,0,0.2\n", "stats cindex --time time --event event --risk score", "no column 'score'")]
    [InlineData("time,event,risk\n1,0,0.5\n2,0,0.1\n3,0,0.2\n", "stats cindex --time time --event event --risk risk", "no events")]
    [InlineData("time,event,risk\n1,1,0.5\n", "stats cindex --time time --event event --risk risk", "at least 2")]
    [InlineData("time,event,g\n1,1,a\n2,0,a\n3,1,a\n", "stats logrank --time time --event event --group g", "single group")]
    [InlineData("time,event,risk\n1,1,0.5\n2,1,0.1\n3,0,0.2\n", "stats tdauc --time time --event event --risk risk --at 5", "beyond the last follow-up")]
    [InlineData("time,event,risk\n1,1,0.5\n2,1,1.1\n3,0,0.2\n", "stats brier --time time --event event --risk risk --at 2", "row 3, column 'risk'")]
    [InlineData("time,event,a,b\n1,1,1,2\n2,1,2,4\n3,0,3,6\n4,1,5,10\n", "stats cox --time time --event event --covariates a,b", "covariate 'b'")]
    public void Bad_input_raises_a_user_error_naming_the_file_and_place(string csv, string arguments, string expected)
    {
        string file = Path.Combine(TestPaths.NewTempDirectory(), "stats.csv");
        File.WriteAllText(file, csv);
        try
        {
            var ex = Assert.Throws<UserInputException>(() => Run($"{arguments} --input {file}"));
            Assert.Contains(file, ex.Message);
            Assert.Contains(expected, ex.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Missing_required_option_is_a_parse_error()
    {
        var (exit, _) = Run($"stats uno --input {Gbsg} {Surv} --risk nodes");
        Assert.NotEqual(0, exit);
    }
}

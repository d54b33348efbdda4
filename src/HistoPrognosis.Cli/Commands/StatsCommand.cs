using System.CommandLine;
using HistoPrognosis.Survival;
using HistoPrognosis.Workflow;

namespace HistoPrognosis.Cli.Commands;

/// <summary>
/// <c>histoprog stats &lt;cindex|uno|tdauc|brier|km|logrank|cox&gt;</c>: survival statistics of a CSV file, computed as R's
/// survival / riskRegression compute them. <c>--json</c> prints one JSON object with R's names (stable: scripts use them).
/// Bad input raises <see cref="UserInputException"/> naming the file, line and column.
/// </summary>
public static class StatsCommand
{
    public static Command Create()
    {
        var stats = new Command("stats", "Survival statistics that match R's survival and riskRegression packages.");
        stats.Subcommands.Add(Sub("cindex", "Harrell's C-index (survival::concordance, reverse = TRUE): higher risk = shorter survival.",
            Need.Risk, RunCIndex));
        stats.Subcommands.Add(Sub("uno", "Uno's C truncated at --tau (concordance(..., reverse=TRUE, timewt=\"n/G2\", ymax=tau)).",
            Need.Risk | Need.Tau, RunUno));
        stats.Subcommands.Add(Sub("tdauc", "Time-dependent AUC at --at, IPCW with a Kaplan-Meier censoring model (riskRegression::Score).",
            Need.Risk | Need.At, RunTdAuc));
        stats.Subcommands.Add(Sub("brier", "Brier score at --at of predicted event probabilities in --risk (riskRegression::Score).",
            Need.Risk | Need.At, RunBrier));
        stats.Subcommands.Add(Sub("km", "Kaplan-Meier curve with log-transformed 95% limits, or the estimate at --at; median survival. std.err is that of S, as in summary.survfit.",
            Need.None, RunKaplanMeier));
        stats.Subcommands.Add(Sub("logrank", "Log-rank test between the groups of --group (survival::survdiff).",
            Need.Group, RunLogRank));
        stats.Subcommands.Add(Sub("cox", "Cox proportional hazards model on --covariates (survival::coxph).",
            Need.Covariates, RunCox));
        return stats;
    }

    [Flags]
    private enum Need { None = 0, Risk = 1, Tau = 2, At = 4, Group = 8, Covariates = 16 }

    /// <summary>The options every subcommand gets; the ones it needs are required.</summary>
    private sealed class Options
    {
        public readonly Option<string> Input = new("--input") { Description = "CSV file with a header row", Required = true };
        public readonly Option<string> Time = new("--time") { Description = "column of follow-up times (≥ 0)", Required = true };
        public readonly Option<string> Event = new("--event") { Description = "column of event status (1 = event, 0 = censored)", Required = true };
        public readonly Option<string?> Risk = new("--risk") { Description = "column of risk scores (higher = worse); for brier, predicted event probabilities by --at" };
        public readonly Option<string?> Group = new("--group") { Description = "column of group labels" };
        public readonly Option<string?> Covariates = new("--covariates") { Description = "comma-separated covariate columns" };
        public readonly Option<double?> At = new("--at") { Description = "time point (with --config: model.horizon_months when not given)" };
        public readonly Option<double?> Tau = new("--tau") { Description = "truncation time for Uno's C" };
        public readonly Option<string> Ties = new("--ties") { Description = "Cox tie handling", DefaultValueFactory = _ => "efron" };
        /// <summary>--config, --bootstrap (evaluation.bootstrap_samples) and --seed, bound as every other command binds them.</summary>
        public readonly RunConfigOptions Config = new(ConfigFlags.Evaluation | ConfigFlags.Seed);
        public readonly Option<bool> Json = new("--json") { Description = "print one JSON object with R's names" };

        public Options(Need need)
        {
            Risk.Required = need.HasFlag(Need.Risk);
            Tau.Required = need.HasFlag(Need.Tau);
            NeedsAt = need.HasFlag(Need.At);
            Group.Required = need.HasFlag(Need.Group);
            Covariates.Required = need.HasFlag(Need.Covariates);
            Ties.AcceptOnlyFromAmong("efron", "breslow");
        }

        /// <summary>Whether the statistic is taken at a time point: --at, or the config's horizon.</summary>
        public bool NeedsAt { get; }

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { Input, Time, Event, Risk, Group, Covariates, At, Tau, Ties, Json }) command.Options.Add(option);
            Config.AddTo(command);
        }
    }

    /// <summary>Parsed input of one invocation: the table and the columns every statistic needs.</summary>
    private sealed record Input(ParseResult Parse, Options Options, RunConfig Config, SurvivalTable Table, double[] Time, bool[] Event)
    {
        public string File => Table.FilePath;
        public double[] Numbers(Option<string?> option) => Table.Numbers(Parse.GetValue(option)!);
        public int Replicates => Config.Evaluation.BootstrapSamples;
        public int Seed => Config.Seed;
        public double Value(Option<double?> option) => Parse.GetValue(option)!.Value;

        /// <summary>--at, else the config's horizon when a config was given.</summary>
        public double? At => Parse.GetValue(Options.At) ?? (Parse.GetValue(Options.Config.Config) is null ? null : Config.Model.HorizonMonths);
    }

    private static Command Sub(string name, string description, Need need, Func<Input, StatsOutput> run)
    {
        var options = new Options(need);
        var command = new Command(name, description);
        options.AddTo(command);
        command.SetAction(parse =>
        {
            var config = options.Config.Bind(parse);
            config.Evaluation.Validate();
            if (options.NeedsAt && parse.GetValue(options.At) is null && parse.GetValue(options.Config.Config) is null)
                throw new UserInputException($"stats {name} needs --at (the time point), or --config whose model.horizon_months is used.");
            var table = SurvivalTable.Read(parse.GetValue(options.Input)!);
            var input = new Input(parse, options, config, table,
                table.Times(parse.GetValue(options.Time)!), table.Events(parse.GetValue(options.Event)!));
            if (input.Time.Length < 2)
                throw new UserInputException($"{table.FilePath}: {input.Time.Length} subject(s); at least 2 are needed.");
            StatsOutput output;
            try
            {
                output = run(input);
            }
            catch (ArgumentException ex)
            {
                // The library's checks (no events, horizon beyond follow-up, singular design, …) concern the whole file.
                throw new UserInputException($"{table.FilePath}: {ex.Message}", ex);
            }
            output.Write(parse.InvocationConfiguration.Output, parse.GetValue(options.Json));
            return 0;
        });
        return command;
    }

    private static StatsOutput Counts(Input input) =>
        new StatsOutput().Add("n", input.Time.Length).Add("nevent", input.Event.Count(e => e));

    private static StatsOutput WithBootstrap(StatsOutput output, Input input, IndexStatistic statistic)
    {
        if (input.Replicates == 0) return output;
        var ci = Bootstrap.Percentile(input.Time.Length, statistic, input.Replicates, input.Seed);
        return output.Add("lower", ci.Lower).Add("upper", ci.Upper)
            .Add("bootstrap", new StatsOutput().Add("replicates", ci.Replicates).Add("failed", ci.Failed)
                .Add("seed", ci.Seed).Add("conf.level", ci.Level).Add("std.err", ci.StdError).Add("method", "percentile"));
    }

    private static IndexStatistic Resampled(Input input, double[] score, Func<double[], bool[], double[], double> statistic) => idx =>
    {
        var (t, e, s) = Bootstrap.Gather(idx, input.Time, input.Event, score);
        return statistic(t, e, s);
    };

    private static StatsOutput RunCIndex(Input input)
    {
        double[] risk = input.Numbers(input.Options.Risk);
        var c = Concordance.Harrell(input.Time, input.Event, risk);
        var output = new StatsOutput().Add("concordance", c.Value).Add("concordant", c.Concordant).Add("discordant", c.Discordant)
            .Add("tied.x", c.TiedRisk).Add("tied.y", c.TiedTime).Add("tied.xy", c.TiedBoth)
            .Add("n", input.Time.Length).Add("nevent", input.Event.Count(e => e));
        return WithBootstrap(output, input, Resampled(input, risk, (t, e, s) => Concordance.Harrell(t, e, s).Value));
    }

    private static StatsOutput RunUno(Input input)
    {
        double[] risk = input.Numbers(input.Options.Risk);
        double tau = input.Value(input.Options.Tau);
        var output = new StatsOutput().Add("concordance", Concordance.Uno(input.Time, input.Event, risk, tau))
            .Add("timewt", "n/G2").Add("ymax", tau).Add("n", input.Time.Length).Add("nevent", input.Event.Count(e => e));
        return WithBootstrap(output, input, Resampled(input, risk, (t, e, s) => Concordance.Uno(t, e, s, tau)));
    }

    private static StatsOutput RunTdAuc(Input input)
    {
        double[] risk = input.Numbers(input.Options.Risk);
        double at = input.At!.Value;
        var output = new StatsOutput().Add("auc", TimeDependentAuc.At(input.Time, input.Event, risk, at)).Add("times", at)
            .Add("cens.model", "km").Add("n", input.Time.Length).Add("nevent", input.Event.Count(e => e));
        return WithBootstrap(output, input, Resampled(input, risk, (t, e, s) => TimeDependentAuc.At(t, e, s, at)));
    }

    private static StatsOutput RunBrier(Input input)
    {
        string column = input.Parse.GetValue(input.Options.Risk)!;
        double[] p = input.Numbers(input.Options.Risk);
        for (int i = 0; i < p.Length; i++)
            if (p[i] is < 0 or > 1)
                throw new UserInputException($"{input.File}, row {input.Table.LineOf(i)}, column '{column}': {p[i]} is not a probability in [0, 1] (brier needs predicted event probabilities by --at).");
        double at = input.At!.Value;
        var output = new StatsOutput().Add("brier", BrierScore.At(input.Time, input.Event, p, at)).Add("times", at)
            .Add("cens.model", "km").Add("n", input.Time.Length).Add("nevent", input.Event.Count(e => e));
        return WithBootstrap(output, input, Resampled(input, p, (t, e, s) => BrierScore.At(t, e, s, at)));
    }

    private static StatsOutput RunKaplanMeier(Input input)
    {
        var km = KaplanMeier.Fit(input.Time, input.Event);
        var (medianLower, medianUpper) = km.MedianConfidenceInterval;
        var output = Counts(input).Add("median", km.Median).Add("0.95LCL", medianLower).Add("0.95UCL", medianUpper);
        double? at = input.At;
        if (at is { } t)
        {
            var point = km.At(t);
            return output.Add("time", t).Add("n.risk", point.NRisk).Add("surv", point.Survival).Add("std.err", point.StdErr)
                .Add("lower", point.Lower).Add("upper", point.Upper).Add("conf.type", "log");
        }
        return output.Add("time", km.Time).Add("n.risk", km.NRisk).Add("n.event", km.NEvent).Add("n.censor", km.NCensor)
            .Add("surv", km.Survival).Add("std.err", Enumerable.Range(0, km.Time.Count).Select(km.SurvivalStdErr).ToArray())
            .Add("lower", km.Lower).Add("upper", km.Upper).Add("conf.type", "log");
    }

    private static StatsOutput RunLogRank(Input input)
    {
        string[] labels = input.Table.Strings(input.Parse.GetValue(input.Options.Group)!);
        // R orders factor levels; numeric labels numerically, others as strings.
        bool numeric = labels.All(l => double.TryParse(l, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _));
        string[] levels = numeric
            ? labels.Distinct().OrderBy(l => double.Parse(l, System.Globalization.CultureInfo.InvariantCulture)).ToArray()
            : labels.Distinct().Order(StringComparer.Ordinal).ToArray();
        if (levels.Length < 2)
            throw new UserInputException($"{input.File}: column '{input.Parse.GetValue(input.Options.Group)}' has a single group ('{levels[0]}'); the log-rank test needs at least 2.");
        var code = levels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i);
        var result = LogRank.Test(input.Time, input.Event, labels.Select(l => code[l]).ToArray());
        StatsOutput PerGroup<T>(IReadOnlyList<T> values)
        {
            var o = new StatsOutput();
            for (int i = 0; i < levels.Length; i++) o.Add(levels[i], values[i]);
            return o;
        }
        return new StatsOutput().Add("n", PerGroup(result.N)).Add("obs", PerGroup(result.Observed)).Add("exp", PerGroup(result.Expected))
            .Add("chisq", result.ChiSquare).Add("df", result.DegreesOfFreedom).Add("p", result.P);
    }

    private static StatsOutput RunCox(Input input)
    {
        string[] names = input.Parse.GetValue(input.Options.Covariates)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (names.Length == 0) throw new UserInputException("--covariates lists no column.");
        var x = new double[input.Time.Length, names.Length];
        for (int c = 0; c < names.Length; c++)
        {
            double[] column = input.Table.Numbers(names[c]);
            for (int i = 0; i < column.Length; i++) x[i, c] = column[i];
        }
        var ties = input.Parse.GetValue(input.Options.Ties) == "breslow" ? CoxTies.Breslow : CoxTies.Efron;
        var fit = CoxRegression.Fit(x, input.Time, input.Event, ties, names);
        StatsOutput PerTerm(Func<int, double> value)
        {
            var o = new StatsOutput();
            for (int j = 0; j < names.Length; j++) o.Add(names[j], value(j));
            return o;
        }
        var lrt = fit.LikelihoodRatioTest;
        var output = new StatsOutput()
            .Add("coef", PerTerm(j => fit.Coefficients[j])).Add("se", PerTerm(j => fit.StandardErrors[j]))
            .Add("exp(coef)", PerTerm(fit.HazardRatio))
            .Add("lower .95", PerTerm(j => fit.HazardRatioConfidenceInterval(j).Lower))
            .Add("upper .95", PerTerm(j => fit.HazardRatioConfidenceInterval(j).Upper))
            .Add("z", PerTerm(fit.ZStatistic)).Add("p", PerTerm(fit.PValue))
            .Add("loglik", new[] { fit.LogLikelihoodNull, fit.LogLikelihood })
            .Add("logtest", new StatsOutput().Add("chisq", lrt.ChiSquare).Add("df", lrt.DegreesOfFreedom).Add("p", lrt.P))
            .Add("means", PerTerm(j => fit.Means[j])).Add("ties", ties.ToString().ToLowerInvariant())
            .Add("iter", fit.Iterations).Add("n", fit.N).Add("nevent", fit.Events);
        if (input.At is { } at)
            output.Add("times", at).Add("cumhaz0", fit.BaselineHazard.At(at));
        return output;
    }
}

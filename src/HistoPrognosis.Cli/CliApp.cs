using System.CommandLine;
using HistoPrognosis.Cli.Commands;

namespace HistoPrognosis.Cli;

/// <summary>The command tree; built here so tests can run commands in-process.</summary>
public static class CliApp
{
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("histoprog: computational pathology for five-year breast-cancer prognosis (.NET, TorchSharp)");
        root.Subcommands.Add(BackboneCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(ConfigCommand.Create());
        root.Subcommands.Add(StatsCommand.Create());
        root.Subcommands.Add(FinetuneCommand.Create());
        root.Subcommands.Add(StudyCommand.Create());
        root.Subcommands.Add(SlideCommand.Create());
        root.Subcommands.Add(TileCommand.Create());
        root.Subcommands.Add(StainCommand.Create());
        root.Subcommands.Add(SimulateCommand.Create());
        root.Subcommands.Add(ExtractCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(CrossvalCommand.Create());
        root.Subcommands.Add(PredictCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(HeatmapCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(WorkCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(SlurmCommand.Create());
        return root;
    }
}

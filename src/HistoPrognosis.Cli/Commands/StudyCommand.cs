using System.CommandLine;
using HistoPrognosis.Models;
using HistoPrognosis.Reports;
using HistoPrognosis.Studies;
using HistoPrognosis.Training;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog study transfer</c>: data efficiency and convergence of transfer vs scratch.</summary>
public static class StudyCommand
{
    public static Command Create()
    {
        var trainTable = new Option<string>("--train-table") { Description = "training pool: path, patient_id, label", Required = true };
        var testTable = new Option<string>("--test-table") { Description = "test patients (must not share patients with the pool)", Required = true };
        var sizes = new Option<string>("--sizes") { Description = "training patients per run, comma-separated", DefaultValueFactory = _ => "5,10,25,50,100,200" };
        var repeats = new Option<int>("--repeats") { DefaultValueFactory = _ => 3 };
        var methods = new Option<string>("--methods") { Description = "scratch,frozen,finetune[,gradual]", DefaultValueFactory = _ => "scratch,frozen,finetune" };
        var steps = new Option<int>("--steps") { Description = "optimizer steps per run (the same for every method)", DefaultValueFactory = _ => 200 };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 64 };
        var imageSize = new Option<int>("--image-size") { DefaultValueFactory = _ => 96 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 7 };
        var output = new Option<string>("--out") { Required = true };
        var device = CommonOptions.Device();
        var transfer = new Command("transfer", "train scratch / frozen / fine-tuned classifiers on growing patient draws; evaluate on unseen patients")
        {
            trainTable, testTable, sizes, repeats, methods, steps, batch, imageSize, seed, output, device,
        };
        transfer.SetAction(parse =>
        {
            int total = parse.GetValue(steps);
            int head = Math.Max(1, total / 10);
            var config = new TransferStudyConfig
            {
                TrainTable = parse.GetValue(trainTable)!,
                TestTable = parse.GetValue(testTable)!,
                Sizes = ParseInts(parse.GetValue(sizes)!, "--sizes"),
                Repeats = parse.GetValue(repeats),
                Methods = parse.GetValue(methods)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Seed = parse.GetValue(seed),
                Finetune = new TransferStudyConfig().Finetune with
                {
                    ImageSize = parse.GetValue(imageSize), BatchSize = parse.GetValue(batch), HeadOnlySteps = head, FullSteps = total - head,
                },
            };
            using var folder = new OutputFolder(parse.GetValue(output)!);
            new TransferStudy(config, ComputeDevice.Resolve(parse.GetValue(device)), PipelineLog.Console).Run(folder);
            folder.Commit();
            Console.WriteLine(File.ReadAllText(Path.Combine(folder.Destination, "table.md")));
            return 0;
        });
        return new Command("study", "experiments composed from the pipeline stages") { transfer };
    }

    private static int[] ParseInts(string text, string option) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => int.TryParse(t, out var v) ? v : throw new UserInputException($"{option}: '{t}' is not an integer")).ToArray();
}

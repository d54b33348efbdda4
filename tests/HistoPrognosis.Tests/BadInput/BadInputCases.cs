using PureHDF;

namespace HistoPrognosis.Tests.BadInput;

/// <summary>
/// The catalogue: every hostile file or table of the suite, crossed with every command that reads it. Expected
/// fragments use {dir} for the case's folder (so the file and table are named) and never mention a stack trace.
/// </summary>
public static class BadInputCases
{
    // Lazy: the catalogue reads the static tables below, which field initialisers would not have set yet.
    private static readonly Lazy<IReadOnlyList<BadInputCase>> Catalogue =
        new(() => [.. Images(), .. UnusualImages(), .. Tiles(), .. Cohorts(), .. Risks(), .. PatchTables(), .. Manifests(), .. Configs(), .. Limits()]);

    public static IReadOnlyList<BadInputCase> All => Catalogue.Value;

    public static BadInputCase Named(string name) => All.Single(c => c.Name == name);

    /// <summary>A hostile image file: its bytes, what the patch decode says, and what the stain reader says.</summary>
    private sealed record HostileImage(string Name, string File, Func<byte[]> Bytes, string[] Decode, string[] Stain);

    private static readonly string[] TooLarge = ["more than the 100,000,000 allowed", "input.max_image_pixels"];

    private static readonly HostileImage[] HostileImageFiles =
    [
        new("png header 20000²", "bad.png", () => HostileImages.PngClaiming(20_000, 20_000), ["20000 × 20000", .. TooLarge], ["20000 × 20000"]),
        new("png header 30000²", "bad.png", () => HostileImages.PngClaiming(30_000, 30_000), ["30000 × 30000", .. TooLarge], ["30000 × 30000"]),
        new("png header 100000²", "bad.png", () => HostileImages.PngClaiming(100_000, 100_000), ["100000 × 100000", .. TooLarge], ["100000 × 100000"]),
        new("png bomb", "bad.png", () => HostileImages.PngBomb(20_000), ["20000 × 20000", .. TooLarge], ["20000 × 20000"]),
        new("jpeg bomb", "bad.jpg", () => HostileImages.JpegClaiming(60_000), ["60000 × 60000", .. TooLarge], ["60000 × 60000"]),
        new("tiff bomb", "bad.tif", () => HostileImages.TiffBomb(100_000), ["100000 × 100000", .. TooLarge], ["100000 × 100000"]),
        new("webp bomb", "bad.webp", () => HostileImages.WebpClaiming(16_000), ["16000 × 16000", .. TooLarge], ["16000 × 16000"]),
        new("png truncated", "bad.png", () => HostileImages.Cut(HostileImages.Small(".png"), 0.6), ["truncated or corrupt"], ["truncated or corrupt"]),
        new("jpeg truncated", "bad.jpg", () => HostileImages.Cut(HostileImages.Small(".jpg"), 0.6), ["truncated or corrupt"], ["truncated or corrupt"]),
        new("zero-byte png", "bad.png", () => [], ["not a readable image"], ["not a readable image"]),
        new("text named .png", "bad.png", () => "patient_id,notes\nA,this is a table, not a picture\n"u8.ToArray(), ["not a readable image"], ["not a readable image"]),
        new("tiff tile offsets past the end", "bad.tif", HostileImages.TiffTilesPastEnd, ["tile 0: its data", "lies past the end of the file"], ["1 band"]),
    ];

    private static readonly Command[] PatchCommands = [Command.Extract, Command.Finetune, Command.Train, Command.Crossval, Command.Predict, Command.Run];

    /// <summary>
    /// Which patch commands each hostile image goes through. Every command decodes patches with the one guarded decode
    /// (ImageCodec through PatchReader), reached through the feature cache (extract, train, crossval, predict, run) or
    /// the fine-tuning loader: every image goes through extract; a header bomb and a cut file through every patch
    /// command (their exit, message and clean-up differ by command, the decode does not); a few more through fine-tuning.
    /// Each command that loads LibTorch costs ~1.5 CPU-s, which is what bounds this matrix.
    /// </summary>
    private static Command[] PatchCommandsFor(string image) => image switch
    {
        "png header 30000²" or "jpeg truncated" => PatchCommands,
        "zero-byte png" or "png bomb" or "path traversal ../../etc/passwd" => [Command.Extract, Command.Finetune],
        _ => [Command.Extract],
    };

    private static IEnumerable<BadInputCase> Images()
    {
        foreach (var image in HostileImageFiles)
        {
            foreach (var command in PatchCommandsFor(image.Name))
                yield return new BadInputCase(image.Name, command, f => new Inputs(Patches: f.PatchTableWith(f.Bytes(image.File, image.Bytes()))), 2,
                    ["{dir}/patches.csv, row 2", $"{{dir}}/{image.File}", .. image.Decode]);
            foreach (var command in new[] { Command.StainInput, Command.StainTarget })
                yield return new BadInputCase(image.Name, command, f => new Inputs(Image: f.Bytes(image.File, image.Bytes())), 2, [$"{{dir}}/{image.File}", .. image.Stain]);
        }
        // A patch path that climbs out of the table's folder is resolved like any relative path (README, Limits): here to /etc/passwd.
        foreach (var command in PatchCommandsFor("path traversal ../../etc/passwd"))
            yield return new BadInputCase("path traversal ../../etc/passwd", command,
                f => new Inputs(Patches: f.PatchTableWith(string.Concat(Enumerable.Repeat("../", f.Path.Count(c => c == '/'))) + "etc/passwd")), 2,
                ["{dir}/patches.csv, row 2", "/etc/passwd", "not a readable image"]);
    }

    /// <summary>Valid images in unusual encodings: decoded to their real pixels (16-bit scaled, not clamped to white), or refused by stain work that needs 8-bit RGB.</summary>
    private static IEnumerable<BadInputCase> UnusualImages()
    {
        (string Patient, string File, Func<byte[]> Bytes)[] odd =
        [
            ("white", "white.png", HostileImages.White), ("grey16", "grey16.png", HostileImages.Grey16), ("rgba16", "rgba16.png", HostileImages.Rgba16),
            ("palette", "palette.png", HostileImages.Palette), ("greyjpeg", "grey.jpg", HostileImages.GreyJpeg), ("cmyk", "cmyk.jpg", HostileImages.CmykJpeg),
        ];
        yield return new BadInputCase("16-bit grey, 16-bit RGBA, palette, grey and CMYK JPEG patches", Command.Extract, f =>
            new Inputs(Patches: f.Text("patches.csv", string.Join('\n', ["path,patient_id", .. odd.Select(o => $"{f.Bytes(o.File, o.Bytes())},{o.Patient}")]) + "\n")), 0,
            ["6 patients: 6 extracted"]) { Check = (f, _) => FeaturesDiffer(f, odd.Select(o => o.Patient).ToArray()) };
        foreach (var (file, bytes, exit, message) in new (string, Func<byte[]>, int, string)[]
                 {
                     ("grey16.png", HostileImages.Grey16, 2, "1 band"), ("rgba16.png", HostileImages.Rgba16, 2, "alpha channel"),
                     ("palette.png", HostileImages.Palette, 0, "normalized 1 image"), ("grey.jpg", HostileImages.GreyJpeg, 2, "1 band"),
                     ("cmyk.jpg", HostileImages.CmykJpeg, 2, "is CMYK; stain normalization needs 8-bit RGB"),
                 })
            yield return new BadInputCase($"{file} (valid, unusual)", Command.StainInput, f => new Inputs(Image: f.Bytes(file, bytes())), exit,
                exit == 0 ? [message] : [$"{{dir}}/{file}", message]);
    }

    /// <summary>Every patient's features differ from the white patch's and from each other's: nothing decoded to white or to the same pixels.</summary>
    private static void FeaturesDiffer(CaseFolder folder, string[] patients)
    {
        var files = Directory.GetFiles(folder.Cache, "*.h5", SearchOption.AllDirectories).ToDictionary(Path.GetFileNameWithoutExtension);
        var features = patients.ToDictionary(p => p, p =>
        {
            using var h5 = H5File.OpenRead(files[p]);
            return h5.Dataset("features").Read<float[]>();
        });
        foreach (var a in patients)
            foreach (var b in patients.Where(b => string.CompareOrdinal(a, b) < 0))
                Assert.True(features[a].Zip(features[b]).Max(x => Math.Abs(x.First - x.Second)) > 1e-3, $"patients {a} and {b} have the same features");
    }

    /// <summary>Slide files the tile command reads (the DICOM and long-name cases live in tests/…/Slides).</summary>
    private static IEnumerable<BadInputCase> Tiles()
    {
        (string Name, string File, Func<byte[]> Bytes, string Message)[] slides =
        [
            ("zero-byte slide", "bad.svs", () => [], "empty file"),
            ("text named .tif", "bad.tif", () => "not a slide at all"u8.ToArray(), "not a slide"),
            ("webp bomb", "bad.webp", () => HostileImages.WebpClaiming(16_000), "bad.webp"),
            ("png truncated", "bad.png", () => HostileImages.Cut(HostileImages.Small(".png"), 0.6), "truncated"),
            ("tiff tile offsets past the end", "bad.tif", HostileImages.TiffTilesPastEnd, "bad.tif"),
            ("png header 30000²", "bad.png", () => HostileImages.PngClaiming(30_000, 30_000), "30000"),
            ("png bomb", "bad.png", () => HostileImages.PngBomb(20_000), "20000"),
            ("jpeg bomb", "bad.jpg", () => HostileImages.JpegClaiming(60_000), "60000"),
            ("tiff bomb", "bad.tif", () => HostileImages.TiffBomb(100_000), "100000"),
        ];
        foreach (var s in slides)
            yield return new BadInputCase(s.Name, Command.Tile, f => new Inputs(Image: f.Bytes(s.File, s.Bytes())), 2, [$"{{dir}}/{s.File}", s.Message]);
    }

    private static readonly Command[] CohortCommands = [Command.Train, Command.Crossval, Command.Evaluate, Command.Run, Command.Stats, Command.Predict];

    /// <summary>A cohort table: the workspace's with one row (or the header) changed; what each command says about it.</summary>
    private sealed record HostileCohort(string Name, string Text, IReadOnlyDictionary<Command, string[]> Messages, int Exit = 2, int Folds = 2);

    private static string Cohort(string row, string replacement) =>
        Workspace.CohortText.Contains(row, StringComparison.Ordinal) ? Workspace.CohortText.Replace(row, replacement) : throw new ArgumentException($"no '{row}' in the cohort");

    private static Dictionary<Command, string[]> Each(string[] message, params Command[] commands) => commands.ToDictionary(c => c, _ => message);

    private static Dictionary<Command, string[]> AllBut(string[] message, params Command[] except) => Each(message, CohortCommands.Except(except).ToArray());

    private static readonly HostileCohort[] HostileCohorts =
    [
        new("cohort without the event column", Workspace.CohortText.Replace(",event", "").Replace(",1,", ",").Replace(",0,", ","),
            new Dictionary<Command, string[]>(AllBut(["{dir}/cohort.csv: required column 'event' is missing"], Command.Stats, Command.Predict))
                { [Command.Stats] = ["no column 'event'"], [Command.Predict] = ["has 'time_months' without 'event'"] }),
        new("cohort without patient_id", Workspace.CohortText.Replace("patient_id", "patient"), AllBut(["required column 'patient_id' is missing"], Command.Stats)),
        new("duplicate patient ids", Cohort("C,20,1,70", "B,20,1,70"), AllBut(["{dir}/cohort.csv, row 4: duplicate patient_id 'B' (first at row 3)"], Command.Stats)),
        new("non-numeric time", Cohort("C,20,", "C,thirty,"), AllBut(["{dir}/cohort.csv, row 4, column 'time_months': 'thirty' is not a finite number"])),
        new("NaN time", Cohort("C,20,", "C,NaN,"), AllBut(["row 4, column 'time_months': 'NaN' is not a finite number"])),
        new("negative time", Cohort("C,20,", "C,-5,"), AllBut(["row 4, column 'time_months': -5 is negative"])),
        new("empty time", Cohort("C,20,", "C,,"), AllBut(["row 4, column 'time_months': empty"])),
        new("event not 0/1", Cohort("C,20,1,", "C,20,2,"), AllBut(["row 4, column 'event': '2' is not 0 or 1"])),
        new("event as text", Cohort("C,20,1,", "C,20,yes,"), AllBut(["row 4, column 'event': 'yes' is not 0 or 1"])),
        new("empty event", Cohort("C,20,1,", "C,20,,"), AllBut(["row 4, column 'event': empty"])),
        new("one patient", "patient_id,time_months,event,age\nA,10,1,50\n", new Dictionary<Command, string[]>
        {
            [Command.Train] = ["{dir}/cohort.csv: training: 1 patient(s), at least 2 needed (model.min_train_patients)"],
            [Command.Crossval] = ["{dir}/cohort.csv: 2-fold cross-validation: 1 patient(s), at least 4 needed (crossval.folds × crossval.min_fold_patients)"],
            [Command.Run] = ["2-fold cross-validation: 1 patient(s), at least 4 needed"],
            [Command.Evaluate] = ["{dir}/cohort.csv: evaluation: 1 patient(s), at least 2 needed (evaluation.min_patients)"],
            [Command.Stats] = ["1 subject(s); at least 2 are needed"],
        }),
        new("no events", Workspace.CohortText.Replace(",1,", ",0,"), new Dictionary<Command, string[]>
        {
            [Command.Train] = ["training: 0 event(s) among 4 patients, at least 1 needed (model.min_train_events)"],
            [Command.Crossval] = ["2-fold cross-validation: 0 event(s) among 4 patients, at least 2 needed (crossval.folds × crossval.min_fold_events)"],
            [Command.Run] = ["2-fold cross-validation: 0 event(s) among 4 patients"],
            [Command.Evaluate] = ["evaluation: 0 event(s) among 4 patients, at least 1 needed (evaluation.min_events)"],
            [Command.Stats] = ["There are no events"],
        }),
        new("all events at t = 0", "patient_id,time_months,event,age\nA,0,1,50\nB,0,1,60\nC,0,1,70\nD,0,1,40\n", new Dictionary<Command, string[]>
        {
            [Command.Train] = ["training: no two of the 4 patients can be compared", "all at time 0"],
            [Command.Crossval] = ["2-fold cross-validation: no two of the 4 patients can be compared"],
            [Command.Run] = ["no two of the 4 patients can be compared"],
            [Command.Evaluate] = ["evaluation: no two of the 4 patients can be compared"],
            [Command.Stats] = ["No comparable pairs"],
        }),
        new("more folds than patients", Workspace.CohortText, Each(["10-fold cross-validation: 4 patient(s), at least 20 needed"], Command.Crossval), Folds: 10),
        new("one patient per fold", Workspace.CohortText, Each(["4-fold cross-validation: 4 patient(s), at least 8 needed"], Command.Crossval), Folds: 4),
        new("a fold without events", "patient_id,time_months,event,age\nA,10,1,50\nB,20,0,60\nC,30,0,70\nD,70,0,40\n",
            Each(["2-fold cross-validation: 1 event(s) among 4 patients, at least 2 needed (crossval.folds × crossval.min_fold_events)"], Command.Crossval, Command.Run)),
        // Valid tables: a BOM and CRLF line ends, and a patient at t = 0 (kept, as R's survival keeps it).
        new("BOM and CRLF", "\uFEFF" + Workspace.CohortText.Replace("\n", "\r\n"),
            new Dictionary<Command, string[]> { [Command.Stats] = ["\"n\":4"], [Command.Evaluate] = ["Harrell C"], [Command.Train] = ["kept epoch"] }, Exit: 0),
        new("a patient at t = 0", Cohort("A,10,1", "A,0,1"),
            new Dictionary<Command, string[]> { [Command.Stats] = ["\"n\":4", "\"nevent\":2"], [Command.Evaluate] = ["Harrell C"] }, Exit: 0),
        // Statistics undefined on valid patients are reported, never NaN: no event by the 60-month horizon (evaluate), or
        // in one of the two folds (C's event at 80 months; every censoring is later, so both folds have a comparable pair).
        new("no event by the horizon", "patient_id,time_months,event,age\nA,70,1,50\nB,80,0,60\nC,75,1,70\nD,90,0,40\n",
            Each(["warning: Uno C is undefined on these 4 patients", "warning: time-dependent AUC is undefined"], Command.Evaluate), Exit: 0),
        new("a fold without an event by the horizon", "patient_id,time_months,event,age\nA,10,1,50\nB,95,0,60\nC,80,1,70\nD,90,0,40\n",
            Each(["warning: mean: Uno C of fold", "is undefined (no comparable pair with an event by 60 months among its 2 patients)"], Command.Crossval), Exit: 0),
    ];

    private static IEnumerable<BadInputCase> Cohorts()
    {
        foreach (var cohort in HostileCohorts)
            foreach (var (command, messages) in cohort.Messages)
                yield return new BadInputCase(cohort.Name, command, f => new Inputs(Cohort: f.Text("cohort.csv", cohort.Text), Folds: cohort.Folds), cohort.Exit, messages)
                {
                    Check = cohort.Exit == 0 && command is Command.Evaluate or Command.Crossval ? (f, _) => NoNaN(f.Out) : null,
                };
        // A minimum raised in the config is the one enforced, and named.
        yield return new BadInputCase("model.min_train_events raised to 3", Command.Train,
            f => new Inputs(Config: f.Text("min.yaml", "model:\n  min_train_events: 3\n")), 2,
            ["{ws}/cohort.csv: training: 2 event(s) among 4 patients, at least 3 needed (model.min_train_events)"]);
    }

    /// <summary>No NaN in any file a command wrote: an undefined statistic is null with a warning.</summary>
    private static void NoNaN(string folder)
    {
        foreach (var file in Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".svg", StringComparison.Ordinal)))
            Assert.DoesNotContain("NaN", File.ReadAllText(file));
    }

    private static IEnumerable<BadInputCase> Risks()
    {
        (string Name, string Text, string Message)[] risks =
        [
            ("risks without the risk column", "patient_id,score\nA,1\nB,2\nC,3\nD,4\n", "{dir}/risks.csv: required column 'risk' is missing"),
            ("risks with a duplicate patient", "patient_id,risk\nA,1\nA,2\nB,2\nC,3\nD,4\n", "{dir}/risks.csv, row 3: duplicate patient_id 'A'"),
            ("NaN risk", "patient_id,risk\nA,NaN\nB,2\nC,3\nD,4\n", "{dir}/risks.csv, row 2, column 'risk': 'NaN' is not a finite number"),
            ("risks missing a patient", "patient_id,risk\nA,1\nB,2\nC,3\n", "no risk for 1 cohort patient(s): D"),
            ("probability above 1", "patient_id,risk,p_event_5y\nA,1,0.5\nB,2,1.5\nC,3,0.2\nD,4,0.1\n", "column 'p_event_5y': 1.5 is not a probability"),
        ];
        foreach (var r in risks)
            yield return new BadInputCase(r.Name, Command.Evaluate, f => new Inputs(Risks: f.Text("risks.csv", r.Text)), 2, [r.Message]);
    }

    private static IEnumerable<BadInputCase> PatchTables()
    {
        (string Name, Func<CaseFolder, string> Text, string Message, Command[] Commands)[] tables =
        [
            ("patch table without patient_id", f => "path,patient,label\n" + string.Join('\n', f.Workspace.GoodPatchRows) + "\n",
                "{dir}/patches.csv: required column 'patient_id' is missing", PatchCommands),
            ("patch table with an empty path", f => "path,patient_id,label\n,A,1\n" + string.Join('\n', f.Workspace.GoodPatchRows) + "\n",
                "{dir}/patches.csv, row 2, column 'path': empty", PatchCommands),
            ("patch label not 0/1", f => $"path,patient_id,label\n{f.Workspace.GoodPatchRows[0].Split(',')[0]},A,7\n",
                "{dir}/patches.csv, row 2, column 'label': '7' is not 0 or 1", [Command.Finetune]),
            ("patch table with a ragged row", f => "path,patient_id,label\n" + f.Workspace.GoodPatchRows[0] + ",extra\n",
                "{dir}/patches.csv, line 2: 4 fields, the header has 3", PatchCommands),
        ];
        foreach (var t in tables)
            foreach (var command in t.Commands)
                yield return new BadInputCase(t.Name, command, f => new Inputs(Patches: f.Text("patches.csv", t.Text(f))), 2, [t.Message]);
        yield return new BadInputCase("patch table with BOM and CRLF", Command.Extract,
            f => new Inputs(Patches: f.Text("patches.csv", "\uFEFFpath,patient_id,label\r\n" + string.Join("\r\n", f.Workspace.GoodPatchRows) + "\r\n")), 0,
            ["4 patients: 4 extracted"]);
    }

    private static IEnumerable<BadInputCase> Manifests()
    {
        (string Name, Func<CaseFolder, string> Text, string Message)[] manifests =
        [
            ("manifest listing a slide twice", f => $"patient_id,slide_path\nA,{Slide(f)}\nB,{Slide(f)}\n", "{dir}/slides.csv, row 3: slide {dir}/slide.svs is already listed in row 2"),
            ("manifest without slide_path", f => $"patient_id,slide\nA,{Slide(f)}\n", "{dir}/slides.csv: required column 'slide_path' is missing"),
            ("manifest naming a missing slide", _ => "patient_id,slide_path\nA,absent.svs\n", "{dir}/slides.csv, row 2, column 'slide_path': {dir}/absent.svs does not exist"),
        ];
        foreach (var m in manifests)
            foreach (var command in new[] { Command.Extract, Command.Train, Command.Crossval, Command.Predict, Command.Run })
                yield return new BadInputCase(m.Name, command, f => new Inputs(Slides: f.Text("slides.csv", m.Text(f))), 2, [m.Message]);
    }

    private static string Slide(CaseFolder folder) => folder.Bytes("slide.svs", []);

    private static readonly Command[] ConfigCommands =
    [
        Command.ConfigValidate, Command.ConfigShow, Command.Tile, Command.Extract, Command.StainInput, Command.Finetune, Command.Train, Command.Predict,
        Command.Crossval, Command.Evaluate, Command.Run,
    ];

    private static IEnumerable<BadInputCase> Configs()
    {
        (string Name, string File, string Text, string[] Messages)[] configs =
        [
            ("yaml with an unknown key", "run.yaml", "model:\n  agregator: mean\n", ["{dir}/run.yaml, line 2: unknown key 'model.agregator'; did you mean 'aggregator'?"]),
            ("json with an unknown key", "run.json", "{\"crossval\": {\"fold\": 3}}", ["{dir}/run.json, line 1: unknown key 'crossval.fold'; did you mean 'folds'?"]),
            ("yaml with a wrong type", "run.yaml", "model:\n  mil:\n    epochs: many\n", ["{dir}/run.yaml, line 3: key 'model.mil.epochs' needs an integer, got 'many'"]),
            ("json with a wrong type", "run.json", "{\"evaluation\": {\"bootstrap_samples\": [1, 2]}}", ["{dir}/run.json, line 1: key 'evaluation.bootstrap_samples' needs an integer, got a list"]),
        ];
        foreach (var c in configs)
            foreach (var command in ConfigCommands)
                yield return new BadInputCase(c.Name, command, f => new Inputs(Config: f.Text(c.File, c.Text), Image: f.Workspace.Target), 2, c.Messages);
        (string Name, string Text, string Message)[] values =
        [
            ("a minimum below what any stage needs", "model: {min_train_patients: 1}\n", "model.min_train_patients must be at least 2, got 1"),
            ("a bootstrap share above 1", "evaluation: {min_defined_share: 1.5}\n", "evaluation.min_defined_share must be in (0, 1], got 1.5"),
            ("an image limit of 0", "input: {patches: p.csv, max_image_pixels: 0}\n", "input.max_image_pixels (--max-image-pixels) must be ≥ 1, got 0"),
        ];
        foreach (var v in values)
            yield return new BadInputCase(v.Name, Command.ConfigValidate, f => new Inputs(Config: f.Text("run.yaml", v.Text)), 2, [v.Message]);
        // The same mistakes on the command line: the parser's errors are bad input too (exit 2).
        yield return new BadInputCase("a flag of the wrong type", Command.Train, _ => new Inputs(Extra: ["--pca", "many"]), 2,
            ["Cannot parse argument 'many' for option '--pca'", "(see: histoprog train --help)"]);
        yield return new BadInputCase("an unknown flag", Command.Crossval, _ => new Inputs(Extra: ["--fold", "3"]), 2,
            ["Unrecognized command or argument '--fold'", "(see: histoprog crossval --help)"]);
    }

    private static IEnumerable<BadInputCase> Limits()
    {
        const string message = "the header claims 50 × 50 pixels, more than the 1,000 allowed";
        yield return new BadInputCase("--max-image-pixels 1000", Command.Extract, _ => new Inputs(Extra: ["--max-image-pixels", "1000"]), 2, ["{ws}/patches.csv, row", message]);
        yield return new BadInputCase("--max-image-pixels 1000", Command.Run, _ => new Inputs(Extra: ["--max-image-pixels", "1000"]), 2, [message]);
        yield return new BadInputCase("input.max_image_pixels: 1000", Command.Finetune,
            f => new Inputs(Config: f.Text("limit.yaml", "input: {max_image_pixels: 1000}\n")), 2, ["{ws}/patches.csv, row", message]);
        yield return new BadInputCase("input.max_image_pixels: 1000", Command.StainTarget,
            f => new Inputs(Config: f.Text("limit.yaml", "input: {max_image_pixels: 1000}\n")), 2, [message]);
    }

    /// <summary>The names of the cases, as theory data.</summary>
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var c in All) data.Add(c.Name);
        return data;
    }
}

using System.Security.Cryptography;
using System.Text;
using HistoPrognosis.Data;
using HistoPrognosis.IO;
using HistoPrognosis.Models;
using static TorchSharp.torch;

namespace HistoPrognosis.Features;

/// <summary>
/// Per-patient feature files under <c>root/&lt;backbone&gt;_&lt;size&gt;px_&lt;key&gt;/&lt;patient&gt;.h5</c>. A rerun reads
/// them; a patient whose file is missing, was made with other settings, or from another patch list (paths, sizes,
/// modification times) is extracted again. Processes sharing a cache split the work: each patient is claimed
/// (<see cref="SharedClaim"/>, which holds across hosts sharing the cache) before it is extracted, a patient claimed
/// elsewhere is waited for, and one whose claimant died (or, on another host, went silent) is taken over.
/// </summary>
public sealed class FeatureCache(string root, PipelineLog log)
{
    /// <summary>Patches decoded at once when extracting (bounds memory; two chunks are in memory while they overlap).</summary>
    private const int ChunkPatches = 1024;
    /// <summary>Patients per chunk at most: each holds an open lock file while its chunk is in flight.</summary>
    private const int ChunkPatients = 128;

    public static string DefaultRoot => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "histoprog", "features");

    public int Reused { get; private set; }
    public int Extracted { get; private set; }

    public string FolderFor(FeatureSettings settings) => Path.Combine(root, settings.FolderName);

    /// <summary>
    /// Features of every listed patient (each must have patches in the table), extracting what the cache lacks; the
    /// backbone is only built when something must be extracted.
    /// </summary>
    /// <param name="transform">per-patch transform before the backbone (stain normalization); its identity must be part of <paramref name="settings"/></param>
    public IReadOnlyList<PatientFeatures> Get(PatchTable table, IReadOnlyList<string> patients, Lazy<Backbone> backbone, FeatureSettings settings, Device device,
        Func<Imaging.RgbImage, Imaging.RgbImage>? transform = null)
    {
        var byPatient = table.Patches.GroupBy(p => p.PatientId).ToDictionary(g => g.Key, g => g.ToList());
        var missingPatches = patients.Where(id => !byPatient.ContainsKey(id)).ToList();
        if (missingPatches.Count > 0)
            throw new UserInputException($"{table.SourcePath}: no patches for {missingPatches.Count} cohort patient(s): {string.Join(", ", missingPatches.Take(10))}{(missingPatches.Count > 10 ? ", …" : "")}");
        var folder = FolderFor(settings);
        var result = new Dictionary<string, PatientFeatures>();
        PatientFeatures? Cached(string id) => FeatureFile.TryRead(PathOf(folder, id), id, settings.Key, PatchesHash(byPatient[id]));
        var todo = new List<string>();
        foreach (var id in patients)
        {
            if (Cached(id) is { } cached)
            {
                result[id] = cached;
                SharedClaim.ClearAbandoned(PathOf(folder, id), SharedClaim.DefaultStaleAfter);
            }
            else todo.Add(id);
        }
        Reused += result.Count;
        if (todo.Count == 0) return patients.Select(id => result[id]).ToList();
        log.Info($"features: {result.Count} patients cached, extracting {todo.Count} with {settings.Backbone} at {settings.ImageSize} px into {folder}");
        // One reader for all chunks: each slide is opened once, not once per chunk.
        using var reader = new PatchReader(transform);
        // Patients another process is extracting into the same folder: waited for at the end, taken over if it died.
        // A first extraction that fails (an unreadable patch) leaves no empty cache folders behind.
        var created = new[] { root, folder }.Where(d => !Directory.Exists(d)).ToList();
        List<string> heldElsewhere;
        try
        {
            heldElsewhere = ExtractClaimed(todo, byPatient, folder, Cached, result, backbone, settings, device, reader);
        }
        catch
        {
            foreach (var dir in Enumerable.Reverse(created))
                if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
            throw;
        }
        if (heldElsewhere.Count > 0)
        {
            log.Info($"features: waiting for {heldElsewhere.Count} patient(s) claimed by another process");
            foreach (var id in heldElsewhere)
            {
                using var claim = SharedClaim.Take(PathOf(folder, id), SharedClaim.DefaultStaleAfter);
                if (Cached(id) is { } done) { result[id] = done; Reused++; }
                else ExtractClaimed([id], byPatient, folder, Cached, result, backbone, settings, device, reader, claim);
            }
        }
        return patients.Select(id => result[id]).ToList();
    }

    /// <summary>
    /// Features of every listed patient read from the cache only, never extracted: for tools that must show what a
    /// model saw (heatmaps). A patient without a current file for these settings is an error naming the patient.
    /// </summary>
    public IReadOnlyList<PatientFeatures> ReadCached(PatchTable table, IReadOnlyList<string> patients, FeatureSettings settings)
    {
        var byPatient = table.Patches.GroupBy(p => p.PatientId).ToDictionary(g => g.Key, g => g.ToList());
        var folder = FolderFor(settings);
        return patients.Select(id =>
            !byPatient.TryGetValue(id, out var patches) ? throw new UserInputException($"{table.SourcePath}: no patches for patient {id}")
            : FeatureFile.TryRead(PathOf(folder, id), id, settings.Key, PatchesHash(patches))
              ?? throw new UserInputException($"patient {id}: the feature cache {folder} holds no features of these patches made with the model's feature settings ({settings.Backbone}, {settings.ImageSize} px); run histoprog extract or predict with this model first (nothing is extracted here)"))
            .ToList();
    }

    /// <summary>Writes one patient's features into the cache as extraction would (tests, imported features).</summary>
    public void Put(PatchTable table, PatientFeatures features, FeatureSettings settings)
    {
        var patches = table.Patches.Where(p => p.PatientId == features.PatientId).ToList();
        if (patches.Count != features.Features.Length)
            throw new ArgumentException($"patient {features.PatientId}: {features.Features.Length} feature rows for {patches.Count} patches");
        var folder = FolderFor(settings);
        Directory.CreateDirectory(folder);
        FeatureFile.Write(PathOf(folder, features.PatientId), features, settings.Key, PatchesHash(patches));
    }

    /// <summary>
    /// Extracts the listed patients that this process can claim, in chunks; returns those held by another process.
    /// A claimed patient whose file appeared meanwhile is read, not extracted again.
    /// </summary>
    private List<string> ExtractClaimed(List<string> patients, Dictionary<string, List<PatchRecord>> byPatient, string folder,
        Func<string, PatientFeatures?> cached, Dictionary<string, PatientFeatures> result, Lazy<Backbone> backbone, FeatureSettings settings,
        Device device, PatchReader reader, SharedClaim? alreadyClaimed = null)
    {
        var heldElsewhere = new List<string>();
        var claims = new Dictionary<string, SharedClaim>();
        var queue = new Queue<string>(patients);
        // The next chunk: patients claimed in order until the patch budget is reached.
        List<string> NextChunk()
        {
            var chunk = new List<string>();
            int size = 0;
            while (queue.Count > 0 && chunk.Count < ChunkPatients && (chunk.Count == 0 || size + byPatient[queue.Peek()].Count <= ChunkPatches))
            {
                var id = queue.Dequeue();
                var claim = alreadyClaimed ?? SharedClaim.TryTake(PathOf(folder, id), SharedClaim.DefaultStaleAfter);
                if (claim is null) { heldElsewhere.Add(id); continue; }
                if (alreadyClaimed is null) claims[id] = claim;
                if (cached(id) is { } done) { result[id] = done; Reused++; Release(id); continue; }
                chunk.Add(id);
                size += byPatient[id].Count;
            }
            return chunk;
        }
        void Release(string id)
        {
            if (claims.Remove(id, out var claim)) claim.Dispose();
        }
        Task<PatchDataset>? Decode(List<string> chunk) => chunk.Count == 0 ? null : Task.Run(() =>
            PatchDataset.Load(chunk.SelectMany(id => byPatient[id]).ToList(), settings.ImageSize, log, "loading patches for features", reader));
        // The next chunk is decoded on worker threads while the current one runs through the backbone.
        FeatureEngine? engine = null;
        var current = NextChunk();
        var next = Decode(current);
        try
        {
            while (next is not null)
            {
                using var data = next.GetAwaiter().GetResult();
                var chunk = current;
                current = NextChunk();
                next = Decode(current);
                engine ??= FeatureEngine.Create(settings.Engine, backbone.Value, device, settings.WeightsHash);
                var features = FeatureExtractor.Extract(engine, backbone.Value, data, device, log, "extracting features");
                int offset = 0;
                foreach (var id in chunk)
                {
                    var patches = byPatient[id];
                    var patient = Describe(id, features[offset..(offset + patches.Count)], patches);
                    offset += patches.Count;
                    FeatureFile.Write(PathOf(folder, id), patient, settings.Key, PatchesHash(patches));
                    CrashPoint.Hit("features.written");
                    Release(id);
                    result[id] = patient;
                    Extracted++;
                }
            }
        }
        finally
        {
            // A failure stopped the loop while the next chunk was decoding: release it (its own error, if any, is moot).
            if (next is not null)
                try { next.GetAwaiter().GetResult().Dispose(); } catch (Exception ex) when (ex is UserInputException or IOException or InvalidDataException) { }
            foreach (var claim in claims.Values) claim.Dispose();
            engine?.Dispose();
        }
        return heldElsewhere;
    }

    /// <summary>Features with the patches' positions and slide indices (the patient's slides, named in index order).</summary>
    private static PatientFeatures Describe(string id, float[][] features, List<PatchRecord> patches)
    {
        var coords = new long[patches.Count, 2];
        var slideIndices = new long[patches.Count];
        var names = new SortedDictionary<int, string>();
        for (int i = 0; i < patches.Count; i++)
        {
            coords[i, 0] = patches[i].X ?? -1;
            coords[i, 1] = patches[i].Y ?? -1;
            slideIndices[i] = patches[i].Region?.SlideIndex ?? -1;
            if (patches[i].Region is { } region && !names.TryAdd(region.SlideIndex, Path.GetFileName(region.SlidePath)) && names[region.SlideIndex] != Path.GetFileName(region.SlidePath))
                throw new UserInputException($"{patches[i].Table ?? "patch table"}, row {patches[i].Line}: patient {id} has two slides with slide_index {region.SlideIndex}");
        }
        // Indices are 0..k−1 in manifest tables; a gap (a hand-written table) gets an empty name so positions hold.
        List<string> list = names.Count == 0 ? [] : Enumerable.Range(0, names.Keys.Max() + 1).Select(k => names.GetValueOrDefault(k, "")).ToList();
        return new PatientFeatures(id, features, coords, slideIndices, list);
    }

    /// <summary>A file name for any patient id: the id itself when it is tame, else a hash of it.</summary>
    private static string PathOf(string folder, string patientId) =>
        Path.Combine(folder, (patientId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && patientId.Length <= 100 && !patientId.StartsWith('.')
            ? patientId : "id-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(patientId)))[..24]) + ".h5");

    /// <summary>
    /// Hash of the patient's patch list in order: path, size and modification time of each file — for a slide region
    /// the slide's identity and the region's geometry — so a changed file, slide or tiling is never reused.
    /// </summary>
    private static string PatchesHash(IEnumerable<PatchRecord> patches)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var slides = new Dictionary<string, string>(StringComparer.Ordinal);
        var text = new StringBuilder();
        foreach (var p in patches)
        {
            text.Clear();
            if (p.Region is { } r)
            {
                if (!slides.TryGetValue(r.SlidePath, out var identity)) slides[r.SlidePath] = identity = SlideIdentity(r.SlidePath);
                text.Append("region|").Append(identity).Append('|').Append(r.SlideIndex).Append('|').Append(r.Level).Append('|')
                    .Append(r.ReadSize).Append('|').Append(r.TileSize).Append('|').Append(r.SlideMpp?.ToString("R", System.Globalization.CultureInfo.InvariantCulture))
                    .Append('|').Append(p.X).Append(',').Append(p.Y).Append('\n');
            }
            else
            {
                text.Append(FileIdentity(new FileInfo(p.Path))).Append('|').Append(p.X).Append(',').Append(p.Y).Append('\n');
            }
            hash.AppendData(Encoding.UTF8.GetBytes(text.ToString()));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static string FileIdentity(FileInfo info) =>
        $"{info.FullName}|{(info.Exists ? info.Length : -1)}|{(info.Exists ? info.LastWriteTimeUtc.Ticks : 0)}";

    // A slide is a file, or a folder of DICOM instances: then every file in it counts.
    private static string SlideIdentity(string path) =>
        Directory.Exists(path)
            ? path + "/|" + string.Join("|", new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories)
                .OrderBy(f => f.FullName, StringComparer.Ordinal).Select(FileIdentity))
            : FileIdentity(new FileInfo(path));
}

using HistoPrognosis.Mil;
using HistoPrognosis.Models;
using HistoPrognosis.Features;
using static TorchSharp.torch;

namespace HistoPrognosis.Training.EndToEnd;

/// <summary>
/// A jointly trained backbone + MIL prognosis network and its survival head. Inference takes all of a patient's
/// patches, through the backbone in chunks of <see cref="EndToEndConfig.InferenceChunk"/> (eval mode, BatchNorm
/// folded), so memory is bounded by the chunk and one patient's embeddings.
/// </summary>
public sealed class EndToEndModel : IDisposable
{
    internal EndToEndModel(EndToEndNetwork network, SurvivalHead head, EndToEndSetup config, Device device)
    {
        Network = network;
        Head = head;
        Config = config;
        Device = device;
    }

    public EndToEndNetwork Network { get; }
    public SurvivalHead Head { get; }
    public EndToEndSetup Config { get; }
    public Device Device { get; }
    /// <summary>Set by the trainer: losses, validation C-index per evaluation, the step whose weights were kept.</summary>
    public TrainingHistory? History { get; internal set; }

    /// <summary>The model card line: what was trained and how BatchNorm was handled.</summary>
    public string Describe() =>
        $"end-to-end {Config.Optimisation.Policy}{(Config.Optimisation.Policy == Training.FinetunePolicy.Lora ? $" (rank {Config.Optimisation.Lora.Rank}, alpha {Config.Optimisation.Lora.Alpha}, merged into the weights)" : "")} fine-tuning of {Network.Backbone.Describe()}; {Config.Model.Aggregator} MIL, {Config.Model.Loss} loss; " +
        $"{Config.EndToEnd.PatientsPerBatch} patients × ≤{Config.EndToEnd.PatchesPerPatient} patches per micro-batch, {Config.EndToEnd.AccumulationSteps} per step; " +
        (Config.EndToEnd.WarmStartHead ? "head first fitted on the starting backbone's embeddings through their standardisation + PCA (linear probe, then fine-tuning; step 0 a candidate for early stopping); " : "") +
        (Config.EndToEnd.RefitHeadOnAllPatients && Config.EndToEnd.ValidationFraction > 0 ? "aggregator and head refit on every training patient, the validation ones included, after the kept step; " : "") +
        (Config.EndToEnd.FreezeBatchNormStatistics
            ? "BatchNorm running statistics frozen at their initial values (eval mode) because per-patient batches are small"
            : "BatchNorm running statistics updated in phases that train the whole backbone");

    /// <summary>Raw head outputs per patient.</summary>
    public float[][] Outputs(PatientPatches patients) => Run(patients).Select(r => r.Outputs).ToArray();

    /// <summary>Risk score per patient (higher = worse); needs no calibration.</summary>
    public double[] Risks(PatientPatches patients) => Outputs(patients).Select(o => Head.Risk(o)).ToArray();

    /// <summary>Risk, event probability by the horizon (the head must be calibrated) and patch weights per patient.</summary>
    public IReadOnlyList<PatientPrediction> Predict(PatientPatches patients) =>
        Run(patients).Select((r, i) => new PatientPrediction(patients.PatientIds[i], Head.Risk(r.Outputs), Head.EventProbability(r.Outputs), r.Attention, Head.SurvivalCurve(r.Outputs))).ToList();

    /// <summary>Patches at least, for inference to run on ONNX Runtime rather than TorchSharp (same outputs to float32 rounding).</summary>
    public const int OnnxRuntimeAtLeast = 2048;

    private List<(float[] Outputs, float[] Attention)> Run(PatientPatches patients)
    {
        if (patients.Count > 0 && patients.ClinicalWidth != Network.ClinicalWidth)
            throw new ArgumentException($"the patients carry {patients.ClinicalWidth} clinical values, the model fuses {Network.ClinicalWidth}");
        var results = new List<(float[], float[])>(patients.Count);
        int patient = 0;
        foreach (var embeddings in Embeddings(patients))
            using (embeddings)
            using (NewDisposeScope())
            {
                var output = Network.RunBag(embeddings, patients.Clinical[patient++]);
                results.Add((output.Outputs.cpu().data<float>().ToArray(), output.Attention.cpu().data<float>().ToArray()));
            }
        return results;
    }

    /// <summary>
    /// Backbone embeddings [n × D] of every patch of each patient in turn (eval mode, no gradients); the caller owns
    /// each tensor. The backbone runs on the feature stage's inference engine (ONNX Runtime on the CPU) when the
    /// patches repay its start-up (about a second to export the graph and start a session: ~1,000 patches at 64 px).
    /// </summary>
    internal IEnumerable<Tensor> Embeddings(PatientPatches patients)
    {
        Network.eval();
        using var noGrad = no_grad();
        using var merged = Network.Lora?.Merged(); // while LoRA trains (validation): its updates in the kernels, for BatchNorm folding and the export
        var kind = patients.Rows.Sum(r => r.Length) >= OnnxRuntimeAtLeast ? FeatureEngineKind.Auto : FeatureEngineKind.TorchSharp;
        using var engine = FeatureEngine.Create(kind, Network.Backbone, Device);
        var backbone = Network.Backbone;
        for (int p = 0; p < patients.Count; p++)
        {
            Tensor embeddings;
            using (var scope = NewDisposeScope())
            {
                var rows = patients.Rows[p];
                var chunks = new List<Tensor>();
                for (int start = 0; start < rows.Length; start += Config.EndToEnd.InferenceChunk)
                {
                    int end = Math.Min(rows.Length, start + Config.EndToEnd.InferenceChunk);
                    using var index = tensor(rows[start..end], dtype: ScalarType.Int64);
                    // contiguous NCHW: see FeatureExtractor
                    var features = engine.Run(backbone.Preprocess(patients.Patches.Images.index_select(0, index).to(Device).contiguous()));
                    chunks.Add(tensor(features, [end - start, engine.Dimension]).to(Device));
                }
                embeddings = cat(chunks, 0).DetachFromDisposeScope();
            }
            yield return embeddings;
        }
    }

    public void Dispose() => Network.Dispose();
}

using HistoPrognosis.Models;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace HistoPrognosis.Features;

/// <summary>What runs a backbone for inference (<c>features.engine</c>).</summary>
public enum FeatureEngineKind
{
    /// <summary>On the CPU, when the backbone exports to ONNX: oneDNN; else TorchSharp.</summary>
    Auto,
    /// <summary>The backbone's weights exported to an ONNX graph (BatchNorm folded) and run by ONNX Runtime: CPU only.</summary>
    OnnxRuntime,
    /// <summary>The TorchSharp module itself, BatchNorm folded: any device; what training uses.</summary>
    TorchSharp,
    /// <summary>
    /// The backbone's ONNX graph (BatchNorm folded) run by LibTorch's oneDNN kernels in their blocked layout, weights
    /// reordered once (<see cref="OneDnnFeatureEngine"/>): CPU only.
    /// </summary>
    OneDnn,
}

/// <summary>The arithmetic an engine runs the backbone in.</summary>
public enum FeaturePrecision
{
    Float32,
    /// <summary>ONNX Runtime QDQ int8 (VNNI): per-channel int8 weights, uint8 activations calibrated on a batch.</summary>
    Int8,
}

/// <summary>
/// Runs a backbone in inference mode on preprocessed batches. On the CPU the default is the exported graph on LibTorch's
/// fused oneDNN convolutions (<see cref="OneDnnFeatureEngine"/>), ahead of ONNX Runtime's prepacked NCHWc graph and
/// about twice the plain TorchSharp module; all give the same features within float32 rounding (FeatureEngineTests).
/// TorchSharp stays the engine for training and for CUDA.
/// </summary>
public abstract class FeatureEngine : IDisposable
{
    public FeatureEngineKind Kind { get; }
    public int Dimension { get; }
    public virtual FeaturePrecision Precision => FeaturePrecision.Float32;

    protected FeatureEngine(FeatureEngineKind kind, int dimension) => (Kind, Dimension) = (kind, dimension);

    /// <summary>
    /// An int8 ONNX Runtime engine (CPU): weights quantized per output channel, each activation's uint8 range the
    /// min/max it takes on <paramref name="calibration"/> (a preprocessed N×3×H×W batch of representative patches).
    /// Its features differ from float32 by about 1–3% of the largest feature (bench/backbone/RESULTS.md), so they are
    /// not interchangeable with the float32 engines' and the product does not use it by default.
    /// </summary>
    public static FeatureEngine CreateInt8(Backbone backbone, Tensor calibration)
    {
        if (backbone is not IOnnxExportable) throw new UserInputException($"the int8 engine needs a backbone that exports to ONNX; {backbone.GetName()} does not");
        return new OnnxRuntimeFeatureEngine(backbone, calibration);
    }

    /// <summary>
    /// The engine <paramref name="requested"/> resolves to for this backbone and device (never
    /// <see cref="FeatureEngineKind.Auto"/>). Auto on the CPU, for a backbone that exports to ONNX: oneDNN, ahead of ONNX
    /// Runtime at 96 and 224 px in all of five same-run rounds since its convolutions are fused (bench/RESULTS.md);
    /// else TorchSharp.
    /// </summary>
    public static FeatureEngineKind Resolve(FeatureEngineKind requested, Backbone backbone, Device device)
    {
        bool onnx = backbone is IOnnxExportable && device.type == TorchSharp.DeviceType.CPU;
        return requested switch
        {
            FeatureEngineKind.Auto => onnx ? FeatureEngineKind.OneDnn : FeatureEngineKind.TorchSharp,
            FeatureEngineKind.OnnxRuntime or FeatureEngineKind.OneDnn when !onnx => throw new UserInputException(
                $"features.engine {Configuration.ConfigNames.Value(requested)} needs a backbone that exports to ONNX on the CPU; {backbone.GetName()} on {device.type} does not (use torchsharp or auto)"),
            _ => requested,
        };
    }

    /// <summary>An engine for an eval-mode backbone; the backbone must outlive it and stay unchanged meanwhile.</summary>
    /// <param name="weightsHash">the backbone's <see cref="FeatureSettings.HashWeights"/>, when known: ONNX Runtime sessions of the
    /// last two weights are kept for the process, since the graph export and session start cost about a second each time</param>
    public static FeatureEngine Create(FeatureEngineKind kind, Backbone backbone, Device device, string? weightsHash = null)
    {
        var resolved = Resolve(kind, backbone, device);
        if (resolved == FeatureEngineKind.OneDnn) return new OneDnnFeatureEngine(backbone);
        if (resolved != FeatureEngineKind.OnnxRuntime) return new TorchSharpFeatureEngine(backbone);
        if (weightsHash is null) return new OnnxRuntimeFeatureEngine(backbone);
        var key = $"{backbone.Describe()}|{weightsHash}|{get_num_threads()}";
        lock (Sessions)
        {
            if (Sessions.FirstOrDefault(s => s.Key == key) is { Engine: { } cached } hit)
            {
                Sessions.Remove(hit);
                Sessions.Insert(0, hit);
                return new SharedEngine(cached);
            }
            var created = new OnnxRuntimeFeatureEngine(backbone);
            Sessions.Insert(0, (key, created));
            while (Sessions.Count > 2)
            {
                Sessions[^1].Engine.Release(evict: true);
                Sessions.RemoveAt(Sessions.Count - 1);
            }
            return new SharedEngine(created);
        }
    }

    private static readonly List<(string Key, OnnxRuntimeFeatureEngine Engine)> Sessions = [];

    /// <summary>A kept session: disposing the handle leaves the session to the next user of the same weights.</summary>
    private sealed class SharedEngine : FeatureEngine
    {
        private readonly OnnxRuntimeFeatureEngine _inner;
        private bool _disposed;

        public SharedEngine(OnnxRuntimeFeatureEngine inner) : base(inner.Kind, inner.Dimension)
        {
            _inner = inner;
            inner.Acquire();
        }

        public override float[] Run(Tensor input) => _inner.Run(input);

        public override void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _inner.Release(evict: false);
        }
    }

    /// <summary>Features of a preprocessed batch (N×3×H×W float32), row-major N × <see cref="Dimension"/>.</summary>
    public abstract float[] Run(Tensor input);

    public abstract void Dispose();
}

/// <summary>The TorchSharp module with its BatchNorm folded for the engine's lifetime.</summary>
internal sealed class TorchSharpFeatureEngine : FeatureEngine
{
    private readonly Backbone _backbone;
    private readonly BatchNormFolding _folded;

    public TorchSharpFeatureEngine(Backbone backbone) : base(FeatureEngineKind.TorchSharp, backbone.FeatureDimension)
    {
        _backbone = backbone;
        backbone.eval();
        _folded = BatchNormFolding.Fold(backbone);
    }

    public override float[] Run(Tensor input)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return _backbone.forward(input).cpu().contiguous().data<float>().ToArray();
    }

    public override void Dispose() => _folded.Dispose();
}

/// <summary>
/// ONNX Runtime on the backbone's own weights: the graph is written from the module (<see cref="IOnnxExportable"/>),
/// so fine-tuned and user-supplied weights run too. Full graph optimisation (conv+add+ReLU fusion, NCHWc layout,
/// weight prepacking), as many intra-op threads as LibTorch uses, no spinning (decode workers share the cores).
/// </summary>
internal sealed class OnnxRuntimeFeatureEngine : FeatureEngine
{
    private const string InputName = "input";
    private readonly InferenceSession _session;
    private readonly string _output;
    // One input buffer for every batch: a fresh 19 MB array per 224 px batch is large-object garbage that the GC
    // collects rarely, and it added 0.7 GB to the peak RSS of a slide's extraction.
    private float[] _input = [];
    private readonly FeaturePrecision _precision;

    public override FeaturePrecision Precision => _precision;

    /// <param name="calibration">null: float32; else an int8 graph calibrated on this preprocessed batch</param>
    public OnnxRuntimeFeatureEngine(Backbone backbone, Tensor? calibration = null) : base(FeatureEngineKind.OnnxRuntime, backbone.FeatureDimension)
    {
        var exportable = (IOnnxExportable)backbone;
        OnnxGraphBuilder graph;
        if (calibration is null) graph = new OnnxGraphBuilder();
        else
        {
            graph = OnnxGraphBuilder.Int8(Calibrate(exportable, calibration, backbone.FeatureDimension));
            _precision = FeaturePrecision.Int8;
        }
        _output = exportable.ExportOnnx(graph, InputName);
        _session = Session(graph.Build(InputName, _output, backbone.FeatureDimension));
    }

    private static InferenceSession Session(byte[] model)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = Math.Max(1, get_num_threads()),
            InterOpNumThreads = 1,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return new InferenceSession(model, options);
    }

    /// <summary>
    /// Min and max of every tensor the int8 graph quantizes over the calibration batch, run in float32 16 patches at a
    /// time. (Clipping each range to its least-squared-error quantization was tried: it gave larger feature errors.)
    /// </summary>
    private static Dictionary<string, (float Min, float Max)> Calibrate(IOnnxExportable backbone, Tensor calibration, int features)
    {
        if (calibration.dim() != 4 || calibration.shape[1] != 3) throw new ArgumentException($"calibration batch must be N×3×H×W, got [{string.Join(",", calibration.shape)}]");
        var graph = OnnxGraphBuilder.ForCalibration();
        var output = backbone.ExportOnnx(graph, InputName);
        var tensors = graph.QuantizedTensors.ToArray();
        using var session = Session(graph.Build(InputName, output, features, tensors));
        var ranges = tensors.Select(_ => (Min: float.PositiveInfinity, Max: float.NegativeInfinity)).ToArray();
        long[] shape = calibration.shape;
        for (long start = 0; start < shape[0]; start += 16)
        {
            long n = Math.Min(16, shape[0] - start);
            float[] data;
            using (var scope = NewDisposeScope())
                data = calibration.narrow(0, start, n).cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
            using var inputValue = OrtValue.CreateTensorValueFromMemory(data, [n, shape[1], shape[2], shape[3]]);
            using var run = new RunOptions();
            using var results = session.Run(run, [InputName], [inputValue], tensors);
            for (int i = 0; i < tensors.Length; i++)
            {
                var (min, max) = ranges[i];
                foreach (var v in results[i].GetTensorDataAsSpan<float>())
                {
                    if (v < min) min = v;
                    if (v > max) max = v;
                }
                ranges[i] = (min, max);
            }
        }
        return tensors.Select((t, i) => (t, ranges[i])).ToDictionary(p => p.t, p => p.Item2);
    }

    private int _users;
    private bool _evicted;

    /// <summary>A shared handle starts using the session.</summary>
    public void Acquire() { lock (this) _users++; }

    /// <summary>A handle is done, or the cache evicts the session: it is disposed once evicted and unused.</summary>
    public void Release(bool evict)
    {
        lock (this)
        {
            if (evict) _evicted = true;
            else _users--;
            if (_evicted && _users == 0) _session.Dispose();
        }
    }

    public override float[] Run(Tensor input)
    {
        lock (this) return RunLocked(input); // one input buffer: a shared session runs one batch at a time
    }

    private float[] RunLocked(Tensor input)
    {
        if (input.dim() != 4 || input.shape[1] != 3) throw new ArgumentException($"backbone input must be N×3×H×W, got [{string.Join(",", input.shape)}]");
        long[] shape = input.shape;
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (_input.Length != count) _input = new float[count];
        using (var scope = NewDisposeScope())
            input.cpu().to_type(ScalarType.Float32).contiguous().data<float>().CopyTo(_input);
        var output = new float[shape[0] * Dimension];
        using var inputValue = OrtValue.CreateTensorValueFromMemory(_input, shape);
        using var outputValue = OrtValue.CreateTensorValueFromMemory(output, [shape[0], Dimension]);
        using var run = new RunOptions();
        _session.Run(run, [InputName], [inputValue], [_output], [outputValue]);
        return output;
    }

    public override void Dispose() => _session.Dispose();
}

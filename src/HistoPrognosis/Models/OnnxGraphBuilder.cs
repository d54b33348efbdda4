using System.Runtime.InteropServices;
using System.Text;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HistoPrognosis.Models;

/// <summary>A module that can write its inference graph (eval mode, BatchNorm folded) as ONNX nodes.</summary>
public interface IOnnxExportable
{
    /// <summary>Appends this module's nodes reading <paramref name="input"/>; returns the name of its output.</summary>
    string ExportOnnx(OnnxGraphBuilder graph, string input);
}

/// <summary>
/// Builds an ONNX model (opset 17) from a module's weights, so ONNX Runtime can run a backbone that exists only as
/// TorchSharp parameters (a fine-tuned one, a user's safetensors). Writes the protobuf by hand, like
/// <see cref="OnnxModel"/> reads it: ModelProto → GraphProto with NodeProto, TensorProto (raw float data) and
/// ValueInfoProto (batch, height and width symbolic, so one model serves every patch size).
/// <para>Three modes. Float32 (the default). Calibration (<see cref="ForCalibration"/>): the same float graph, and every
/// tensor the int8 graph quantizes is recorded in <see cref="QuantizedTensors"/>, so its range can be measured by running
/// the graph with those tensors as extra outputs. Int8 (<see cref="Int8"/>): the QDQ form ONNX Runtime fuses into
/// QLinearConv / QLinearAdd with VNNI kernels: activations uint8 per tensor (zero point 0 after a ReLU), weights int8
/// symmetric per output channel, biases int32 at the input scale × the weight scale. The float nodes are named alike in
/// all three modes (Q/DQ nodes and quantized initializers have prefixes of their own), so calibrated ranges keyed by
/// tensor name apply to the int8 graph.</para>
/// </summary>
public sealed class OnnxGraphBuilder
{
    private readonly List<byte[]> _nodes = [];
    private readonly List<byte[]> _initializers = [];
    private readonly Dictionary<string, int> _counters = [];
    private readonly IReadOnlyDictionary<string, (float Min, float Max)>? _ranges;
    private readonly bool _calibrating;
    private readonly List<string> _quantized = [];
    private readonly Dictionary<string, string> _dequantized = [];
    private readonly Dictionary<string, (float Scale, byte ZeroPoint)> _params = [];

    public OnnxGraphBuilder() { }

    private OnnxGraphBuilder(IReadOnlyDictionary<string, (float Min, float Max)>? ranges, bool calibrating) => (_ranges, _calibrating) = (ranges, calibrating);

    /// <summary>A float graph that records the tensors an int8 graph of the same module would quantize.</summary>
    public static OnnxGraphBuilder ForCalibration() => new(null, calibrating: true);

    /// <summary>A QDQ int8 graph with the activation ranges measured on a calibration graph of the same module.</summary>
    public static OnnxGraphBuilder Int8(IReadOnlyDictionary<string, (float Min, float Max)> ranges) => new(ranges, calibrating: false);

    /// <summary>The tensors quantized in the int8 graph, in graph order (calibration and int8 modes).</summary>
    public IReadOnlyList<string> QuantizedTensors => _quantized;

    private bool IsInt8 => _ranges is not null;

    /// <summary>
    /// The tensor a quantized consumer reads: itself in a float graph, its QuantizeLinear → DequantizeLinear pair in an
    /// int8 graph (one pair per tensor, shared by every consumer).
    /// </summary>
    private string Quantized(string tensor)
    {
        if (!IsInt8)
        {
            if (_calibrating && !_quantized.Contains(tensor)) _quantized.Add(tensor);
            return tensor;
        }
        if (_dequantized.TryGetValue(tensor, out var done)) return done;
        _quantized.Add(tensor);
        var (scale, zero) = ParamsOf(tensor);
        var scaleName = ScalarInitializer("s", BitConverter.GetBytes(scale), DataFloat);
        var zeroName = ScalarInitializer("z", [zero], DataUint8);
        var q = Node("QuantizeLinear", [tensor, scaleName, zeroName]);
        var dq = Node("DequantizeLinear", [q, scaleName, zeroName]);
        _dequantized[tensor] = dq;
        return dq;
    }

    /// <summary>uint8 scale and zero point of a tensor from its calibrated range (which is widened to include 0).</summary>
    private (float Scale, byte ZeroPoint) ParamsOf(string tensor)
    {
        if (_params.TryGetValue(tensor, out var known)) return known;
        if (!_ranges!.TryGetValue(tensor, out var range))
            throw new InvalidOperationException($"no calibrated range for tensor {tensor}: calibrate on the same module");
        float min = Math.Min(range.Min, 0f), max = Math.Max(range.Max, 0f);
        float scale = max > min ? (max - min) / 255f : 1f;
        byte zero = (byte)Math.Clamp(Math.Round(-min / scale), 0, 255);
        return _params[tensor] = (scale, zero);
    }

    private const int DataFloat = 1, DataUint8 = 2, DataInt8 = 3, DataInt32 = 6;

    private string RawInitializer(string prefix, long[] dims, int dataType, ReadOnlySpan<byte> data)
    {
        var name = Name(prefix);
        var tensor = new ProtoWriter();
        foreach (var d in dims) tensor.Varint(1, (ulong)d);
        tensor.Varint(2, (ulong)dataType);
        tensor.String(8, name);
        tensor.Bytes(9, data);
        _initializers.Add(tensor.ToArray());
        return name;
    }

    private string ScalarInitializer(string prefix, byte[] data, int dataType) => RawInitializer(prefix, [], dataType, data);

    /// <summary>A fresh tensor name with a readable prefix.</summary>
    public string Name(string prefix)
    {
        int n = _counters.GetValueOrDefault(prefix);
        _counters[prefix] = n + 1;
        return $"{prefix}_{n}";
    }

    public string Initializer(string prefix, Tensor value)
    {
        using var scope = NewDisposeScope();
        var cpu = value.detach().cpu().to_type(ScalarType.Float32).contiguous();
        return RawInitializer(prefix, cpu.shape, DataFloat, MemoryMarshal.AsBytes(cpu.data<float>().ToArray().AsSpan()));
    }

    public string Node(string op, IReadOnlyList<string> inputs, params (string Name, long[] Ints)[] attributes)
    {
        var output = Name(op.ToLowerInvariant());
        var node = new ProtoWriter();
        foreach (var i in inputs) node.String(1, i);
        node.String(2, output);
        node.String(3, output);
        node.String(4, op);
        foreach (var (name, ints) in attributes)
        {
            var attribute = new ProtoWriter();
            attribute.String(1, name);
            if (ints.Length == 1 && name is "group" or "axis" or "ceil_mode")
            {
                attribute.Varint(3, (ulong)ints[0]);
                attribute.Varint(20, 2); // INT
            }
            else
            {
                foreach (var v in ints) attribute.Varint(8, (ulong)v);
                attribute.Varint(20, 7); // INTS
            }
            node.Message(5, attribute);
        }
        _nodes.Add(node.ToArray());
        return output;
    }

    /// <summary>A convolution with its eval-mode BatchNorm folded in (the same w·γ/√(σ²+ε), β − μ·γ/√(σ²+ε) as <see cref="BatchNormFolding"/>).</summary>
    public string ConvNorm(Conv2d conv, BatchNorm2d? norm, string input)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor weight = conv.weight!, bias;
        if (norm is not null)
        {
            if (conv.bias is not null) throw new InvalidOperationException("export a backbone whose BatchNorm is not folded already");
            var scale = norm.weight! / BatchNormFolding.StandardDeviation(norm);
            weight = conv.weight! * scale.view(-1, 1, 1, 1);
            bias = BatchNormFolding.FoldedBias(norm, scale);
        }
        else bias = conv.bias ?? zeros(conv.weight!.shape[0]);
        long[] stride = [conv.stride[0], conv.stride[1]];
        long[] kernel = [conv.weight!.shape[2], conv.weight.shape[3]];
        long[] pads = conv.padding is { } p ? [p[0], p[1], p[0], p[1]] : [0, 0, 0, 0];
        var x = Quantized(input);
        var (w, b) = IsInt8 ? QuantizedWeights(weight, bias, ParamsOf(input).Scale) : (Initializer("w", weight), Initializer("b", bias));
        return Node("Conv", [x, w, b],
            ("kernel_shape", kernel), ("strides", stride), ("pads", pads), ("dilations", [conv.dilation[0], conv.dilation[1]]), ("group", [conv.groups]));
    }

    /// <summary>
    /// Per-output-channel symmetric int8 weights (scale max|w|/127) and int32 biases at input scale × weight scale, each
    /// behind a DequantizeLinear on axis 0.
    /// </summary>
    private (string Weight, string Bias) QuantizedWeights(Tensor weight, Tensor bias, float inputScale)
    {
        using var scope = NewDisposeScope();
        var w = weight.detach().cpu().to_type(ScalarType.Float32).contiguous();
        long channels = w.shape[0];
        var flat = w.view(channels, -1).data<float>().ToArray();
        int per = flat.Length / (int)channels;
        var b = bias.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
        var wq = new sbyte[flat.Length];
        var wScale = new float[channels];
        var bq = new int[channels];
        var bScale = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            float max = 0;
            for (int k = 0; k < per; k++) max = Math.Max(max, Math.Abs(flat[c * per + k]));
            float scale = max > 0 ? max / 127f : 1f;
            wScale[c] = scale;
            for (int k = 0; k < per; k++) wq[c * per + k] = (sbyte)Math.Clamp(Math.Round(flat[c * per + k] / scale), -127, 127);
            bScale[c] = inputScale * scale;
            bq[c] = (int)Math.Clamp(Math.Round(b[c] / bScale[c]), int.MinValue, int.MaxValue);
        }
        var wName = RawInitializer("wq", w.shape, DataInt8, MemoryMarshal.AsBytes(wq.AsSpan()));
        var wScaleName = RawInitializer("ws", [channels], DataFloat, MemoryMarshal.AsBytes(wScale.AsSpan()));
        var wZero = RawInitializer("wz", [channels], DataInt8, new byte[channels]);
        var bName = RawInitializer("bq", [channels], DataInt32, MemoryMarshal.AsBytes(bq.AsSpan()));
        var bScaleName = RawInitializer("bs", [channels], DataFloat, MemoryMarshal.AsBytes(bScale.AsSpan()));
        var bZero = RawInitializer("bz", [channels], DataInt32, new byte[channels * 4]);
        return (Node("DequantizeLinear", [wName, wScaleName, wZero], ("axis", [0])),
            Node("DequantizeLinear", [bName, bScaleName, bZero], ("axis", [0])));
    }

    public string Relu(string input) => Node("Relu", [input]);

    public string Add(string a, string b) => Node("Add", [Quantized(a), Quantized(b)]);

    /// <summary>Max pooling; in an int8 graph it runs on the uint8 input, its output keeps the input's scale and zero point.</summary>
    public string MaxPool(string input, long kernel, long stride, long padding)
    {
        var output = Node("MaxPool", [Quantized(input)], ("kernel_shape", [kernel, kernel]), ("strides", [stride, stride]), ("pads", [padding, padding, padding, padding]));
        if (IsInt8) _params[output] = ParamsOf(input);
        return output;
    }

    /// <summary>Global average pooling flattened to N × C (AdaptiveAvgPool2d(1) then flatten(1)); float in every mode.</summary>
    public string GlobalAveragePoolFlat(string input) => Node("Flatten", [Node("GlobalAveragePool", [Quantized(input)])], ("axis", [1]));

    /// <summary>The model: one float input N×3×H×W named <paramref name="input"/>, one output N×<paramref name="features"/>.</summary>
    /// <param name="extraOutputs">further float outputs of unknown shape (a calibration graph's quantized tensors)</param>
    public byte[] Build(string input, string output, int features, IEnumerable<string>? extraOutputs = null)
    {
        var graph = new ProtoWriter();
        foreach (var node in _nodes) graph.Bytes(1, node);
        graph.String(2, "histoprog-backbone");
        foreach (var init in _initializers) graph.Bytes(5, init);
        graph.Message(11, ValueInfo(input, ["batch", 3, "height", "width"]));
        graph.Message(12, ValueInfo(output, ["batch", features]));
        foreach (var extra in extraOutputs ?? []) graph.Message(12, ValueInfo(extra, null));
        var model = new ProtoWriter();
        model.Varint(1, 8); // IR version 8 (opset 17's)
        model.String(2, "histoprog");
        var opset = new ProtoWriter();
        opset.String(1, "");
        opset.Varint(2, 17);
        model.Message(8, opset);
        model.Message(7, graph);
        return model.ToArray();
    }

    private static ProtoWriter ValueInfo(string name, object[]? dims)
    {
        var shape = new ProtoWriter();
        foreach (var d in dims ?? [])
        {
            var dim = new ProtoWriter();
            if (d is string symbol) dim.String(2, symbol);
            else dim.Varint(1, (ulong)(int)d);
            shape.Message(1, dim);
        }
        var tensorType = new ProtoWriter();
        tensorType.Varint(1, 1); // FLOAT
        if (dims is not null) tensorType.Message(2, shape);
        var type = new ProtoWriter();
        type.Message(1, tensorType);
        var info = new ProtoWriter();
        info.String(1, name);
        info.Message(2, type);
        return info;
    }

    /// <summary>Protobuf wire format: varints (type 0) and length-delimited fields (type 2) are all ONNX needs here.</summary>
    private sealed class ProtoWriter
    {
        private readonly MemoryStream _stream = new();

        public void Varint(int field, ulong value)
        {
            Raw(((ulong)field << 3) | 0);
            Raw(value);
        }

        public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public void Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

        public void Bytes(int field, ReadOnlySpan<byte> value)
        {
            Raw(((ulong)field << 3) | 2);
            Raw((ulong)value.Length);
            _stream.Write(value);
        }

        public byte[] ToArray() => _stream.ToArray();

        private void Raw(ulong value)
        {
            while (value >= 0x80)
            {
                _stream.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }
            _stream.WriteByte((byte)value);
        }
    }
}

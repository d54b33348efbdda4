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
/// </summary>
public sealed class OnnxGraphBuilder
{
    private readonly List<byte[]> _nodes = [];
    private readonly List<byte[]> _initializers = [];
    private readonly Dictionary<string, int> _counters = [];

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
        var data = cpu.data<float>().ToArray();
        var name = Name(prefix);
        var tensor = new ProtoWriter();
        foreach (var d in cpu.shape) tensor.Varint(1, (ulong)d);
        tensor.Varint(2, 1); // FLOAT
        tensor.String(8, name);
        tensor.Bytes(9, MemoryMarshal.AsBytes(data.AsSpan()));
        _initializers.Add(tensor.ToArray());
        return name;
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
        return Node("Conv", [input, Initializer("w", weight), Initializer("b", bias)],
            ("kernel_shape", kernel), ("strides", stride), ("pads", pads), ("dilations", [conv.dilation[0], conv.dilation[1]]), ("group", [conv.groups]));
    }

    public string Relu(string input) => Node("Relu", [input]);

    public string Add(string a, string b) => Node("Add", [a, b]);

    public string MaxPool(string input, long kernel, long stride, long padding) =>
        Node("MaxPool", [input], ("kernel_shape", [kernel, kernel]), ("strides", [stride, stride]), ("pads", [padding, padding, padding, padding]));

    /// <summary>Global average pooling flattened to N × C (AdaptiveAvgPool2d(1) then flatten(1)).</summary>
    public string GlobalAveragePoolFlat(string input) => Node("Flatten", [Node("GlobalAveragePool", [input])], ("axis", [1]));

    /// <summary>The model: one float input N×3×H×W named <paramref name="input"/>, one output N×<paramref name="features"/>.</summary>
    public byte[] Build(string input, string output, int features)
    {
        var graph = new ProtoWriter();
        foreach (var node in _nodes) graph.Bytes(1, node);
        graph.String(2, "histoprog-backbone");
        foreach (var init in _initializers) graph.Bytes(5, init);
        graph.Message(11, ValueInfo(input, ["batch", 3, "height", "width"]));
        graph.Message(12, ValueInfo(output, ["batch", features]));
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

    private static ProtoWriter ValueInfo(string name, object[] dims)
    {
        var shape = new ProtoWriter();
        foreach (var d in dims)
        {
            var dim = new ProtoWriter();
            if (d is string symbol) dim.String(2, symbol);
            else dim.Varint(1, (ulong)(int)d);
            shape.Message(1, dim);
        }
        var tensorType = new ProtoWriter();
        tensorType.Varint(1, 1); // FLOAT
        tensorType.Message(2, shape);
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

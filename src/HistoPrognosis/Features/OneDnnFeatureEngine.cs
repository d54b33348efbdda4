using System.Globalization;
using System.Text;
using HistoPrognosis.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HistoPrognosis.Features;

/// <summary>
/// The backbone's own ONNX graph (<see cref="IOnnxExportable"/>, BatchNorm folded) written out as a TorchScript
/// function whose tensors stay in oneDNN's blocked layout from the input to the pooled features: convolutions through
/// <c>mkldnn_convolution</c> on weights reordered once for oneDNN, ReLU, residual adds and max pooling on the blocked
/// tensors, one conversion back at the end. This is what PyTorch's <c>torch.utils.mkldnn</c> conversion does; a plain
/// LibTorch module instead converts NCHW to the blocked layout and back around every convolution (measured 1.3× slower
/// at 96 px here, bench/backbone/RESULTS.md). The contiguous NCHW layout is kept at the boundary: LibTorch's
/// channels-last path computes wrong results on this project's AVX-512 CPUs.
/// </summary>
internal sealed class OneDnnFeatureEngine : FeatureEngine
{
    private readonly jit.CompilationUnit _script;
    private readonly Tensor[] _weights;

    public OneDnnFeatureEngine(Backbone backbone) : base(FeatureEngineKind.OneDnn, backbone.FeatureDimension)
    {
        backbone.eval();
        var graph = new OnnxGraphBuilder();
        const string input = "input";
        var output = ((IOnnxExportable)backbone).ExportOnnx(graph, input);
        var model = OnnxModel.Parse(graph.Build(input, output, backbone.FeatureDimension), backbone.GetName());
        var (source, weights) = Translate(model, input, output);
        _script = jit.compile(source);
        using var noGrad = no_grad();
        _weights = weights.Select(w => w.Reorder is { } conv
            ? (Tensor)_script.invoke("reorder", tensor(w.Tensor.Data, w.Tensor.Dims), conv.Padding, conv.Stride, conv.Dilation, conv.Groups)
            : tensor(w.Tensor.Data, w.Tensor.Dims)).ToArray();
    }

    private sealed record ConvGeometry(long Padding, long Stride, long Dilation, long Groups);

    /// <summary>TorchScript for the node list, and the initializers it reads in the order of its weight list.</summary>
    private static (string Source, List<(OnnxTensor Tensor, ConvGeometry? Reorder)> Weights) Translate(OnnxModel model, string input, string output)
    {
        var inv = CultureInfo.InvariantCulture;
        var names = new Dictionary<string, string> { [input] = "t0" };
        var weights = new List<(OnnxTensor, ConvGeometry?)>();
        var body = new StringBuilder();
        body.AppendLine("def net(x: Tensor, w: List[Tensor]) -> Tensor:").AppendLine("    t0 = x.to_mkldnn()");
        string Var(string tensorName) => names.TryGetValue(tensorName, out var v) ? v
            : throw new NotSupportedException($"oneDNN engine: tensor {tensorName} is read before it is written");
        string Weight(string name, ConvGeometry? reorder)
        {
            if (!model.Initializers.TryGetValue(name, out var t)) throw new NotSupportedException($"oneDNN engine: {name} is not a float initializer");
            weights.Add((t, reorder));
            return $"w[{weights.Count - 1}]";
        }
        long[] Ints(OnnxNode node, string key, long[] otherwise) => node.IntAttributes.TryGetValue(key, out var v) ? v : otherwise;
        long Symmetric(OnnxNode node, string key, long otherwise)
        {
            var v = Ints(node, key, [otherwise, otherwise, otherwise, otherwise]);
            if (v.Any(x => x != v[0])) throw new NotSupportedException($"oneDNN engine: {node.OpType} with unequal {key} [{string.Join(",", v)}]");
            return v[0];
        }
        int count = 0;
        foreach (var node in model.Nodes)
        {
            var result = $"t{++count}";
            string expression = node.OpType switch
            {
                "Conv" => Conv(node),
                "Relu" => $"torch.relu({Var(node.Inputs[0])})",
                "Add" => $"{Var(node.Inputs[0])} + {Var(node.Inputs[1])}",
                "MaxPool" => string.Format(inv, "torch.max_pool2d({0}, [{1}, {1}], [{2}, {2}], [{3}, {3}])", Var(node.Inputs[0]),
                    Symmetric(node, "kernel_shape", 1), Symmetric(node, "strides", 1), Symmetric(node, "pads", 0)),
                "GlobalAveragePool" => $"torch.adaptive_avg_pool2d({Var(node.Inputs[0])}, [1, 1]).to_dense()",
                "Flatten" when Ints(node, "axis", [1])[0] == 1 => $"{Var(node.Inputs[0])}.flatten(1)",
                _ => throw new NotSupportedException($"oneDNN engine: ONNX operator {node.OpType} is not translated"),
            };
            body.AppendLine(CultureInfo.InvariantCulture, $"    {result} = {expression}");
            names[node.Outputs[0]] = result;
        }
        body.AppendLine(CultureInfo.InvariantCulture, $"    return {Var(output)}").AppendLine()
            .AppendLine("def reorder(w: Tensor, padding: int, stride: int, dilation: int, groups: int) -> Tensor:")
            .AppendLine("    return torch.mkldnn_reorder_conv2d_weight(w.to_mkldnn(), [padding, padding], [stride, stride], [dilation, dilation], groups)")
            .AppendLine();
        return (body.ToString(), weights);

        string Conv(OnnxNode node)
        {
            var geometry = new ConvGeometry(Symmetric(node, "pads", 0), Symmetric(node, "strides", 1), Symmetric(node, "dilations", 1), Ints(node, "group", [1])[0]);
            return string.Format(inv, "torch.mkldnn_convolution({0}, {1}, {2}, [{3}, {3}], [{4}, {4}], [{5}, {5}], {6})", Var(node.Inputs[0]),
                Weight(node.Inputs[1], geometry), Weight(node.Inputs[2], null), geometry.Padding, geometry.Stride, geometry.Dilation, geometry.Groups);
        }
    }

    public override float[] Run(Tensor input)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = input.device.type == DeviceType.CPU && input.dtype == ScalarType.Float32 ? input.contiguous() : input.cpu().to_type(ScalarType.Float32).contiguous();
        var features = (Tensor)_script.invoke("net", x, _weights);
        return features.contiguous().data<float>().ToArray();
    }

    public override void Dispose()
    {
        foreach (var w in _weights) w.Dispose();
        _script.Dispose();
    }
}

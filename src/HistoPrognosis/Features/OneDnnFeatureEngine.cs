using System.Globalization;
using System.Text;
using HistoPrognosis.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HistoPrognosis.Features;

/// <summary>
/// The backbone's own ONNX graph (<see cref="IOnnxExportable"/>, BatchNorm folded) written out as a TorchScript module
/// on LibTorch's fused oneDNN convolutions, the operators PyTorch's inductor emits for CPU: activations channels-last,
/// weights prepacked once into oneDNN's blocked format, every Conv→ReLU one <c>mkldnn::_convolution_pointwise</c>
/// with a ReLU post-op and every Conv→Add→ReLU (a residual block's end) one binary-fused call, so a block's output is
/// written once instead of three times. PyTorch's <c>torch.utils.mkldnn</c> conversion (the previous form of this
/// engine) keeps tensors in the blocked layout but runs ReLU and Add as separate passes. Measured here the fused form
/// was 1.6× it at 96 px and 1.2× at 224 px while another job shared the cores, and about equal (96 px) to 1.05×
/// (224 px) on an idle machine, where the larger gain came from reusing heap blocks (<see cref="Models.NativeHeap"/>).
/// The module is loaded from an in-memory archive (<see cref="TorchScriptArchive"/>) because only loading resolves
/// <c>ops.mkldnn</c> calls.
/// </summary>
internal sealed class OneDnnFeatureEngine : FeatureEngine
{
    private readonly jit.ScriptModule _script;
    private readonly Tensor[] _weights;

    public OneDnnFeatureEngine(Backbone backbone) : base(FeatureEngineKind.OneDnn, backbone.FeatureDimension)
    {
        backbone.eval();
        var graph = new OnnxGraphBuilder();
        const string input = "input";
        var output = ((IOnnxExportable)backbone).ExportOnnx(graph, input);
        var model = OnnxModel.Parse(graph.Build(input, output, backbone.FeatureDimension), backbone.GetName());
        var (source, weights) = Translate(model, input, output);
        _script = jit.load(TorchScriptArchive.Module("Engine", source));
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
        body.AppendLine("  def forward(self: __torch__.Engine,").AppendLine("    x: Tensor,").AppendLine("    w: List[Tensor]) -> Tensor:")
            .AppendLine("    t0 = torch.contiguous(x, memory_format=2)"); // 2: torch.channels_last
        var readers = model.Nodes.SelectMany(n => n.Inputs).GroupBy(i => i).ToDictionary(g => g.Key, g => g.Count());
        readers[output] = readers.GetValueOrDefault(output) + 1;
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
        // The one node that reads a tensor, when exactly one does (a fusion may then absorb it).
        OnnxNode? OnlyReader(string tensor, int after) => readers.GetValueOrDefault(tensor) == 1 && after + 1 < model.Nodes.Count && model.Nodes[after + 1].Inputs.Contains(tensor) ? model.Nodes[after + 1] : null;
        int count = 0;
        var nodes = model.Nodes;
        for (int i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            var result = $"t{++count}";
            string expression;
            if (node.OpType == "Conv" && OnlyReader(node.Outputs[0], i) is { OpType: "Relu" } relu)
            {
                expression = Conv(node, "relu");
                node = relu;
                i++;
            }
            else if (node.OpType == "Conv" && OnlyReader(node.Outputs[0], i) is { OpType: "Add" } add
                && OnlyReader(add.Outputs[0], i + 1) is { OpType: "Relu" } addRelu)
            {
                var other = add.Inputs[0] == node.Outputs[0] ? add.Inputs[1] : add.Inputs[0];
                // oneDNN cannot describe a 1×1 feature map for the binary post-op ("could not create a memory"): such
                // maps (patches ≤ 32 px at a ResNet's last stage) take the convolution, then add and ReLU.
                var (fusedCall, weight, bias) = ConvAddRelu(node, Var(other));
                body.AppendLine(CultureInfo.InvariantCulture, $"    if torch.size({Var(node.Inputs[0])}, 2) * torch.size({Var(node.Inputs[0])}, 3) > 1:")
                    .AppendLine(CultureInfo.InvariantCulture, $"      {result} = {fusedCall}")
                    .AppendLine("    else:")
                    .AppendLine(CultureInfo.InvariantCulture, $"      {result} = torch.relu(torch.add({Conv(node, "none", weight, bias)}, {Var(other)}))");
                names[addRelu.Outputs[0]] = result;
                i += 2;
                continue;
            }
            else expression = node.OpType switch
            {
                "Conv" => Conv(node, "none"),
                "Relu" => $"torch.relu({Var(node.Inputs[0])})",
                "Add" => $"torch.add({Var(node.Inputs[0])}, {Var(node.Inputs[1])})",
                "MaxPool" => string.Format(inv, "torch.max_pool2d({0}, [{1}, {1}], [{2}, {2}], [{3}, {3}])", Var(node.Inputs[0]),
                    Symmetric(node, "kernel_shape", 1), Symmetric(node, "strides", 1), Symmetric(node, "pads", 0)),
                "GlobalAveragePool" => $"torch.mean({Var(node.Inputs[0])}, [2, 3], True)",
                "Flatten" when Ints(node, "axis", [1])[0] == 1 => $"torch.flatten({Var(node.Inputs[0])}, 1)",
                _ => throw new NotSupportedException($"oneDNN engine: ONNX operator {node.OpType} is not translated"),
            };
            body.AppendLine(CultureInfo.InvariantCulture, $"    {result} = {expression}");
            names[node.Outputs[0]] = result;
        }
        body.AppendLine(CultureInfo.InvariantCulture, $"    return {Var(output)}")
            .AppendLine("  def reorder(self: __torch__.Engine,").AppendLine("    w: Tensor,").AppendLine("    padding: int,").AppendLine("    stride: int,")
            .AppendLine("    dilation: int,").AppendLine("    groups: int) -> Tensor:")
            .AppendLine("    return torch.mkldnn_reorder_conv2d_weight(torch.to_mkldnn(w), [padding, padding], [stride, stride], [dilation, dilation], groups)");
        return (body.ToString(), weights);

        ConvGeometry Geometry(OnnxNode node) => new(Symmetric(node, "pads", 0), Symmetric(node, "strides", 1), Symmetric(node, "dilations", 1), Ints(node, "group", [1])[0]);

        string Conv(OnnxNode node, string unary, string? weight = null, string? bias = null)
        {
            var g = Geometry(node);
            return string.Format(inv, "ops.mkldnn._convolution_pointwise({0}, {1}, {2}, [{3}, {3}], [{4}, {4}], [{5}, {5}], {6}, \"{7}\", annotate(List[Optional[number]], []), None)",
                Var(node.Inputs[0]), weight ?? Weight(node.Inputs[1], g), bias ?? Weight(node.Inputs[2], null), g.Padding, g.Stride, g.Dilation, g.Groups, unary);
        }

        (string Call, string Weight, string Bias) ConvAddRelu(OnnxNode node, string other)
        {
            var g = Geometry(node);
            string weight = Weight(node.Inputs[1], g), bias = Weight(node.Inputs[2], null);
            return (string.Format(inv, "ops.mkldnn._convolution_pointwise({0}, {1}, {2}, {3}, [{4}, {4}], [{5}, {5}], [{6}, {6}], {7}, \"add\", None, \"relu\", annotate(List[Optional[number]], []), None)",
                Var(node.Inputs[0]), other, weight, bias, g.Padding, g.Stride, g.Dilation, g.Groups), weight, bias);
        }
    }

    public override float[] Run(Tensor input)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = input.device.type == DeviceType.CPU && input.dtype == ScalarType.Float32 ? input.contiguous() : input.cpu().to_type(ScalarType.Float32).contiguous();
        var features = (Tensor)_script.invoke("forward", x, _weights);
        return features.contiguous().data<float>().ToArray();
    }

    public override void Dispose()
    {
        foreach (var w in _weights) w.Dispose();
        _script.Dispose();
    }
}

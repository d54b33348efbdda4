using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HistoPrognosis.Models;

/// <summary>
/// A ResNet basic block: two 3×3 convolutions, each followed by its own BatchNorm, with an optional 1×1
/// strided projection on the shortcut. Parameter names follow torchvision so checkpoints read naturally.
/// </summary>
public sealed class BasicBlock : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Sequential? downsample;

    public BasicBlock(string name, long inChannels, long outChannels, long stride) : base(name)
    {
        conv1 = Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(outChannels, eps: 1e-5);
        conv2 = Conv2d(outChannels, outChannels, 3, stride: 1, padding: 1, bias: false);
        bn2 = BatchNorm2d(outChannels, eps: 1e-5);
        if (stride != 1 || inChannels != outChannels)
            downsample = Sequential(Conv2d(inChannels, outChannels, 1, stride: stride, bias: false), BatchNorm2d(outChannels, eps: 1e-5));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var identity = downsample is null ? x : ConvNorm.Apply(downsample, x);
        var y = ConvNorm.Apply(conv1, bn1, x).relu_();
        y = ConvNorm.Apply(conv2, bn2, y);
        return y.add_(identity, HeldScalars.One).relu_().MoveToOuterDisposeScope();
    }

    public string ExportOnnx(OnnxGraphBuilder graph, string x)
    {
        var identity = downsample is null ? x : graph.ConvNorm((Conv2d)downsample[0], (BatchNorm2d)downsample[1], x);
        var y = graph.ConvNorm(conv2, bn2, graph.Relu(graph.ConvNorm(conv1, bn1, x)));
        return graph.Relu(graph.Add(y, identity));
    }

    /// <summary>Conv/BN pairs in the order the CNTK export emits them: the shortcut projection first.</summary>
    internal IEnumerable<(Conv2d Conv, BatchNorm2d Norm)> ConvNormPairsInExportOrder()
    {
        if (downsample is not null) yield return ((Conv2d)downsample[0], (BatchNorm2d)downsample[1]);
        yield return (conv1, bn1);
        yield return (conv2, bn2);
    }
}

/// <summary>
/// The ResNet18 variant exported from CNTK in Microsoft.ML.DnnImageFeaturizer.ResNet18: stages of [2, 2, 2, 3]
/// basic blocks, bias-free convolutions each followed by a separate BatchNorm, global average pooling to 512
/// features (no classifier). Adaptive pooling lets it take any batch size and any input of at least 32 px.
/// Input: BGR, 0–255, minus the channel means (see <see cref="BackbonePreprocessing"/>).
/// </summary>
public sealed class CntkResNet18 : Backbone, IOnnxExportable
{
    public const int Features = 512;
    public static readonly int[] BlocksPerStage = [2, 2, 2, 3];

    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly MaxPool2d maxpool;
    private readonly Sequential layer1, layer2, layer3, layer4;
    private readonly AdaptiveAvgPool2d avgpool;

    public CntkResNet18(string name = "backbone") : base(name)
    {
        conv1 = Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = BatchNorm2d(64, eps: 1e-5);
        maxpool = MaxPool2d(3, stride: 2, padding: 1);
        layer1 = Stage(64, 64, BlocksPerStage[0], stride: 1);
        layer2 = Stage(64, 128, BlocksPerStage[1], stride: 2);
        layer3 = Stage(128, 256, BlocksPerStage[2], stride: 2);
        layer4 = Stage(256, 512, BlocksPerStage[3], stride: 2);
        avgpool = AdaptiveAvgPool2d(1);
        RegisterComponents();
    }

    private static Sequential Stage(long inChannels, long outChannels, int blocks, long stride)
    {
        var modules = new List<(string, Module<Tensor, Tensor>)>();
        for (int b = 0; b < blocks; b++)
            modules.Add(($"{b}", new BasicBlock($"block{b}", b == 0 ? inChannels : outChannels, outChannels, b == 0 ? stride : 1)));
        return Sequential(modules);
    }

    public override Tensor forward(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] != 3)
            throw new ArgumentException($"backbone input must be N×3×H×W, got [{string.Join(",", x.shape)}]");
        if (x.shape[2] < 32 || x.shape[3] < 32)
            throw new ArgumentException($"backbone input must be at least 32×32 px, got {x.shape[3]}×{x.shape[2]}");
        using var scope = NewDisposeScope();
        var y = maxpool.forward(ConvNorm.Apply(conv1, bn1, x).relu_());
        y = layer4.forward(layer3.forward(layer2.forward(layer1.forward(y))));
        return avgpool.forward(y).flatten(1).MoveToOuterDisposeScope();
    }

    public string ExportOnnx(OnnxGraphBuilder graph, string x) => ResNetOnnx.Export(graph, x, conv1, bn1, [layer1, layer2, layer3, layer4]);

    public override int FeatureDimension => 512;

    public override IReadOnlyList<string> StageNames => StageNameList;

    public override Tensor Preprocess(Tensor rgb) => BackbonePreprocessing.FromRgb(rgb);

    public override string Describe() => "CNTK ImageNet ResNet18 [2,2,2,3]; input BGR 0-255 minus means (103.063, 115.903, 123.152)";

    /// <summary>Parameters of one stage; the stem's are conv1 and bn1.</summary>
    public override IEnumerable<Parameter> StageParameters(string stage) => stage switch
    {
        "stem" => conv1.parameters().Concat(bn1.parameters()),
        "layer1" => layer1.parameters(),
        "layer2" => layer2.parameters(),
        "layer3" => layer3.parameters(),
        "layer4" => layer4.parameters(),
        _ => throw new ArgumentException($"unknown stage '{stage}'"),
    };

    private static readonly string[] StageNameList = ["stem", "layer1", "layer2", "layer3", "layer4"];

    /// <summary>All 22 conv/BN pairs in the CNTK export's graph order.</summary>
    internal IEnumerable<(Conv2d Conv, BatchNorm2d Norm)> ConvNormPairsInExportOrder()
    {
        yield return (conv1, bn1);
        foreach (var stage in new[] { layer1, layer2, layer3, layer4 })
            foreach (var block in stage.children().Cast<BasicBlock>())
                foreach (var pair in block.ConvNormPairsInExportOrder())
                    yield return pair;
    }

    /// <summary>He initialisation (fan-out, ReLU) for convolutions and unit BatchNorm: the from-scratch baseline.</summary>
    public void InitialiseRandomly()
    {
        using var noGrad = no_grad();
        foreach (var (conv, norm) in ConvNormPairsInExportOrder())
        {
            init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
            init.ones_(norm.weight);
            init.zeros_(norm.bias);
            norm.running_mean!.zero_();
            norm.running_var!.fill_(1);
        }
    }
}

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HistoPrognosis.Models;

/// <summary>torchvision's Bottleneck (v1.5: the stride sits on the 3×3 convolution), expansion 4.</summary>
public sealed class Bottleneck : Module<Tensor, Tensor>, IOnnxExportable
{
    public const int Expansion = 4;
    private readonly Conv2d conv1, conv2, conv3;
    private readonly BatchNorm2d bn1, bn2, bn3;
    private readonly Sequential? downsample;

    public Bottleneck(string name, long inChannels, long width, long stride) : base(name)
    {
        conv1 = Conv2d(inChannels, width, 1, bias: false);
        bn1 = BatchNorm2d(width);
        conv2 = Conv2d(width, width, 3, stride: stride, padding: 1, bias: false);
        bn2 = BatchNorm2d(width);
        conv3 = Conv2d(width, width * Expansion, 1, bias: false);
        bn3 = BatchNorm2d(width * Expansion);
        if (stride != 1 || inChannels != width * Expansion)
            downsample = Sequential(Conv2d(inChannels, width * Expansion, 1, stride: stride, bias: false), BatchNorm2d(width * Expansion));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var identity = downsample is null ? x : ConvNorm.Apply(downsample, x);
        var y = ConvNorm.Apply(conv1, bn1, x).relu_();
        y = ConvNorm.Apply(conv2, bn2, y).relu_();
        y = ConvNorm.Apply(conv3, bn3, y);
        return y.add_(identity, HeldScalars.One).relu_().MoveToOuterDisposeScope();
    }

    public string ExportOnnx(OnnxGraphBuilder graph, string x)
    {
        var identity = downsample is null ? x : graph.ConvNorm((Conv2d)downsample[0], (BatchNorm2d)downsample[1], x);
        var y = graph.Relu(graph.ConvNorm(conv1, bn1, x));
        y = graph.ConvNorm(conv3, bn3, graph.Relu(graph.ConvNorm(conv2, bn2, y)));
        return graph.Relu(graph.Add(y, identity));
    }
}

/// <summary>The ResNet stem (conv, BN, ReLU, 3×3/2 max pool), its stages of exportable blocks and global average pooling.</summary>
internal static class ResNetOnnx
{
    public static string Export(OnnxGraphBuilder graph, string x, Conv2d conv1, BatchNorm2d bn1, Sequential[] stages)
    {
        var y = graph.MaxPool(graph.Relu(graph.ConvNorm(conv1, bn1, x)), kernel: 3, stride: 2, padding: 1);
        foreach (var stage in stages)
            foreach (var block in stage.children())
                y = ((IOnnxExportable)block).ExportOnnx(graph, y);
        return graph.GlobalAveragePoolFlat(y);
    }
}

/// <summary>
/// ResNet-18/34/50 laid out exactly as torchvision names its state dict (conv1, bn1, layer1.0.conv1, …,
/// layer2.0.downsample.0, fc), so a user's PyTorch weights load by name. The classifier <c>fc</c> is not part of
/// the backbone: its keys are ignored on load. Input: RGB scaled to 0–1, normalised by ImageNet mean and std.
/// </summary>
public sealed class TorchvisionResNet : Backbone, IOnnxExportable
{
    private static readonly string[] Stages = ["stem", "layer1", "layer2", "layer3", "layer4"];

    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly MaxPool2d maxpool;
    private readonly Sequential layer1, layer2, layer3, layer4;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly int _features;

    public TorchvisionResNet(int depth) : base($"resnet{depth}")
    {
        Depth = depth;
        (int[] blocks, bool bottleneck) = depth switch
        {
            18 => (new[] { 2, 2, 2, 2 }, false),
            34 => (new[] { 3, 4, 6, 3 }, false),
            50 => (new[] { 3, 4, 6, 3 }, true),
            _ => throw new UserInputException($"unsupported ResNet depth {depth} (18, 34 or 50)"),
        };
        conv1 = Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = BatchNorm2d(64);
        maxpool = MaxPool2d(3, stride: 2, padding: 1);
        long channels = 64;
        var layers = new Sequential[4];
        for (int s = 0; s < 4; s++)
        {
            long width = 64L << s;
            var modules = new List<(string, Module<Tensor, Tensor>)>();
            for (int b = 0; b < blocks[s]; b++)
            {
                long stride = b == 0 && s > 0 ? 2 : 1;
                modules.Add(($"{b}", bottleneck
                    ? new Bottleneck($"block{b}", channels, width, stride)
                    : new BasicBlock($"block{b}", channels, width, stride)));
                channels = bottleneck ? width * Bottleneck.Expansion : width;
            }
            layers[s] = Sequential(modules);
        }
        (layer1, layer2, layer3, layer4) = (layers[0], layers[1], layers[2], layers[3]);
        avgpool = AdaptiveAvgPool2d(1);
        _features = (int)channels;
        RegisterComponents();
    }

    public int Depth { get; }

    public string ExportOnnx(OnnxGraphBuilder graph, string x) => ResNetOnnx.Export(graph, x, conv1, bn1, [layer1, layer2, layer3, layer4]);
    public override int FeatureDimension => _features;
    public override IReadOnlyList<string> StageNames => Stages;

    public override IEnumerable<Parameter> StageParameters(string stage) => stage switch
    {
        "stem" => conv1.parameters().Concat(bn1.parameters()),
        "layer1" => layer1.parameters(),
        "layer2" => layer2.parameters(),
        "layer3" => layer3.parameters(),
        "layer4" => layer4.parameters(),
        _ => throw new ArgumentException($"unknown stage '{stage}'"),
    };

    public override Tensor Preprocess(Tensor rgb) => BackbonePreprocessing.Normalize(rgb, BackbonePreprocessing.ImageNetMean, BackbonePreprocessing.ImageNetStd);

    public override string Describe() => $"torchvision ResNet{Depth}; input RGB/255 normalised by ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225)";

    public override Tensor forward(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] != 3) throw new ArgumentException($"backbone input must be N×3×H×W, got [{string.Join(",", x.shape)}]");
        using var scope = NewDisposeScope();
        var y = maxpool.forward(ConvNorm.Apply(conv1, bn1, x).relu_());
        y = layer4.forward(layer3.forward(layer2.forward(layer1.forward(y))));
        return avgpool.forward(y).flatten(1).MoveToOuterDisposeScope();
    }

    /// <summary>He initialisation as torchvision does (fan-out, ReLU), unit BatchNorm.</summary>
    public void InitialiseRandomly()
    {
        using var noGrad = no_grad();
        foreach (var module in modules())
        {
            if (module is Conv2d conv) init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
            else if (module is BatchNorm2d norm) { init.ones_(norm.weight); init.zeros_(norm.bias); }
        }
    }
}

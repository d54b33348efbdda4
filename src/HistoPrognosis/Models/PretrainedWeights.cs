using static TorchSharp.torch;

namespace HistoPrognosis.Models;

/// <summary>Locates and loads the ImageNet ResNet18 weights shipped in NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18.</summary>
public static class PretrainedWeights
{
    /// <summary>Where the package's build props copy the model into every output folder.</summary>
    public static string DefaultOnnxPath =>
        Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");

    /// <summary>A ResNet18 with the pretrained weights, every tensor's shape checked against the module.</summary>
    public static CntkResNet18 LoadImageNetResNet18(string? onnxPath = null)
    {
        var path = onnxPath ?? DefaultOnnxPath;
        var model = OnnxModel.Load(path);
        var backbone = new CntkResNet18();
        CopyInto(backbone, model);
        return backbone;
    }

    /// <summary>The same architecture, randomly initialised: the from-scratch baseline.</summary>
    public static CntkResNet18 CreateScratch(long seed)
    {
        manual_seed(seed);
        var backbone = new CntkResNet18();
        backbone.InitialiseRandomly();
        return backbone;
    }

    /// <summary>Pairs each Conv with the BatchNormalization that consumes its output, in graph order.</summary>
    internal static void CopyInto(CntkResNet18 backbone, OnnxModel model)
    {
        var consumers = model.Nodes.Where(n => n.OpType == "BatchNormalization")
            .GroupBy(n => n.Inputs[0]).ToDictionary(g => g.Key, g => g.First());
        var convs = model.Nodes.Where(n => n.OpType == "Conv").ToList();
        var pairs = backbone.ConvNormPairsInExportOrder().ToList();
        if (convs.Count != pairs.Count)
            throw new InvalidDataException($"{model.Path}: expected the CNTK ResNet18 ({pairs.Count} convolutions), found {convs.Count} Conv nodes — a different model?");
        using var noGrad = no_grad();
        for (int i = 0; i < pairs.Count; i++)
        {
            var conv = convs[i];
            if (!consumers.TryGetValue(conv.Outputs[0], out var bn))
                throw new InvalidDataException($"{model.Path}: Conv node '{conv.Name}' is not followed by a BatchNormalization");
            if (conv.Inputs.Count > 2)
                throw new InvalidDataException($"{model.Path}: Conv node '{conv.Name}' has a bias; the CNTK ResNet18 has none");
            Copy(model, conv.Inputs[1], pairs[i].Conv.weight, $"convolution {i}");
            Copy(model, bn.Inputs[1], pairs[i].Norm.weight, $"batch-norm {i} scale");
            Copy(model, bn.Inputs[2], pairs[i].Norm.bias, $"batch-norm {i} bias");
            Copy(model, bn.Inputs[3], pairs[i].Norm.running_mean!, $"batch-norm {i} mean");
            Copy(model, bn.Inputs[4], pairs[i].Norm.running_var!, $"batch-norm {i} variance");
        }
    }

    private static void Copy(OnnxModel model, string name, Tensor? target, string what)
    {
        if (target is null) throw new InvalidOperationException($"module has no tensor for {what}");
        if (!model.Initializers.TryGetValue(name, out var source) || source.Data.Length == 0)
            throw new InvalidDataException($"{model.Path}: weight '{name}' ({what}) is missing or not float32");
        if (!source.Dims.SequenceEqual(target.shape))
            throw new InvalidDataException($"{model.Path}: weight '{name}' ({what}) has shape [{string.Join(",", source.Dims)}], the module needs [{string.Join(",", target.shape)}]");
        using var values = tensor(source.Data, target.shape, dtype: ScalarType.Float32);
        target.copy_(values);
    }
}

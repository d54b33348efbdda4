using HistoPrognosis.Imaging;

namespace HistoPrognosis.Stain;

/// <summary>Estimates an image's stain matrix (H and E vectors in OD space).</summary>
public interface IStainExtractor
{
    StainMatrix Extract(RgbImage image);
}

/// <summary>Ruifrok &amp; Johnston's fixed matrix: the same for every image, so it needs no tissue.</summary>
public sealed class RuifrokExtractor : IStainExtractor
{
    public StainMatrix Extract(RgbImage image) => StainMatrix.Ruifrok;
}

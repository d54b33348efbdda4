using HistoPrognosis.Imaging;

namespace HistoPrognosis.Stain;

/// <summary>How a stain-matrix normalizer reads each pixel's H and E concentrations from its optical density.</summary>
public interface IConcentrationSolver
{
    /// <summary>Concentrations of every pixel in the basis <paramref name="matrix"/>, one value per pixel each.</summary>
    void Concentrations(RgbImage image, StainMatrix matrix, Span<double> hematoxylin, Span<double> eosin);

    /// <summary>
    /// Concentrations in the <paramref name="source"/> basis, scaled per stain, rebuilt with
    /// <paramref name="target"/> as 255·exp(−OD), clipped and truncated to bytes.
    /// </summary>
    RgbImage Transfer(RgbImage image, StainMatrix source, StainMatrix target, double scaleH, double scaleE);
}

/// <summary>
/// TIAToolbox's read: unconstrained least squares (its lstsq on every pixel). Right for Macenko's and Ruifrok's
/// matrices, whose vectors bound the tissue colours; a pixel outside the cone of the two vectors gets a negative
/// concentration, which the target renders as negative absorption.
/// </summary>
public sealed class LeastSquaresConcentrations : IConcentrationSolver
{
    public static LeastSquaresConcentrations Instance { get; } = new();

    private LeastSquaresConcentrations() { }

    public void Concentrations(RgbImage image, StainMatrix matrix, Span<double> hematoxylin, Span<double> eosin) =>
        ColorDeconvolution.Concentrations(image, matrix, hematoxylin, eosin);

    public RgbImage Transfer(RgbImage image, StainMatrix source, StainMatrix target, double scaleH, double scaleE) =>
        ColorDeconvolution.Transfer(image, source, target, scaleH, scaleE);
}

/// <summary>
/// The sparse read of Vahadane et al. (2016) and StainTools (SPAMS lasso, pos=true): per pixel
/// argmin_{c ≥ 0} ½‖od − cᵀM‖² + λ‖c‖₁. A sparse non-negative dictionary sits inside the cone of the tissue
/// colours (the ℓ₁ term pulls its atoms towards the bulk of the pixels), so least squares would give 8–16 % of the
/// tissue a negative eosin or haematoxylin concentration and paint it cyan; the non-negative code never does.
/// </summary>
public sealed class NonNegativeLassoConcentrations(double regularizer) : IConcentrationSolver
{
    public double Regularizer { get; } = regularizer;

    public void Concentrations(RgbImage image, StainMatrix matrix, Span<double> hematoxylin, Span<double> eosin)
    {
        int n = image.Width * image.Height;
        if (hematoxylin.Length < n || eosin.Length < n) throw new ArgumentException("one value per pixel needed");
        var lasso = new StainLasso(matrix, Regularizer);
        var px = image.Pixels;
        for (int i = 0; i < n; i++)
            lasso.Solve(OpticalDensity.Of(px[3 * i]), OpticalDensity.Of(px[3 * i + 1]), OpticalDensity.Of(px[3 * i + 2]), out hematoxylin[i], out eosin[i]);
    }

    public RgbImage Transfer(RgbImage image, StainMatrix source, StainMatrix target, double scaleH, double scaleE)
    {
        var lasso = new StainLasso(source, Regularizer);
        double h0 = scaleH * target[0, 0], h1 = scaleH * target[0, 1], h2 = scaleH * target[0, 2];
        double e0 = scaleE * target[1, 0], e1 = scaleE * target[1, 1], e2 = scaleE * target[1, 2];
        var px = image.Pixels;
        var output = GC.AllocateUninitializedArray<byte>(px.Length);
        for (int i = 0; i < px.Length; i += 3)
        {
            lasso.Solve(OpticalDensity.Of(px[i]), OpticalDensity.Of(px[i + 1]), OpticalDensity.Of(px[i + 2]), out double ch, out double ce);
            output[i] = OpticalDensity.ToByte(ch * h0 + ce * e0);
            output[i + 1] = OpticalDensity.ToByte(ch * h1 + ce * e1);
            output[i + 2] = OpticalDensity.ToByte(ch * h2 + ce * e2);
        }
        return new RgbImage(image.Width, image.Height, output);
    }
}

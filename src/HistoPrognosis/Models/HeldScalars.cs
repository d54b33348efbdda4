using TorchSharp;

namespace HistoPrognosis.Models;

/// <summary>
/// Scalars that are never finalized. TorchSharp's <c>add(x)</c> and <c>add_(x)</c> pass an implicit
/// <c>alpha = 1</c> Scalar temporary, and <c>t.add(double)</c> another for the operand; a Scalar holds a raw native
/// handle with a finalizer, so a GC during the native call can free it while LibTorch reads it (seen as "Expected
/// false to be true" in c10::Scalar::toFloat inside add_Scalar). Hot paths pass these, or a Scalar they hold in a
/// <c>using</c>, explicitly.
/// </summary>
internal static class HeldScalars
{
    public static readonly Scalar One = 1.ToScalar();
    /// <summary>255: 8-bit pixels to [0, 1].</summary>
    public static readonly Scalar ByteMax = 255.ToScalar();
}

namespace HistoPrognosis.Stain;

/// <summary>
/// OpenCV's 8-bit sRGB ↔ CIE L*a*b* conversions (cvtColor RGB2LAB / LAB2RGB on uint8, OpenCV 4.x), reproduced
/// bit for bit: fixed-point tables, the same rounding. TIAToolbox's Reinhard and tissue mask are defined on these
/// 8-bit values (L scaled to 0..255, a and b offset by 128), so matching the reference needs them, not textbook LAB.
/// </summary>
public static class OpenCvLab
{
    private const int LabShift = 12;             // xyz_shift
    private const int GammaShift = 3;
    private const int LabShift2 = LabShift + GammaShift;
    private const int CbrtTabSize = 256 * 3 / 2 * (1 << GammaShift);
    private const int InvGammaShift = 12;
    private const int InvGammaTabSize = 1 << InvGammaShift;
    private const int LutBase = 1 << 14;
    private const int MinAbValue = -8145;
    private const int Lab2RgbShift = LabShift + (14 - InvGammaShift);

    // OpenCV keeps these constants as raw IEEE doubles; the same bits give the same rounded coefficients.
    private static readonly double[] Srgb2XyzD65 = Raw(
        0x3fda65a14488c60d, 0x3fd6e297396d0918, 0x3fc71819d2391d58,
        0x3fcb38cda6e75ff6, 0x3fe6e297396d0918, 0x3fb279aae6c8f755,
        0x3f93cc4ac6cdaf4b, 0x3fbe836eb4e98138, 0x3fee68427418d691);
    private static readonly double[] Xyz2SrgbD65 = Raw(
        0x4009ec804102ff8f, 0xbff8982a9930be0e, 0xbfdfe7ff583a53b9,
        0xbfef042528ae74f3, 0x3ffe040f23897204, 0x3fa546d3f9e7b80b,
        0x3fac7de5082cf52c, 0xbfca1e14bdfd2631, 0x3ff0eabef06b3786);
    private static readonly double[] D65 = Raw(0x3fee6a22b3892ee8, 0x3ff0000000000000, 0x3ff16b8950763a19);

    private static readonly ushort[] GammaTab = new ushort[256];
    private static readonly ushort[] InvGammaTab = new ushort[InvGammaTabSize];
    private static readonly ushort[] CbrtTab = new ushort[CbrtTabSize];
    private static readonly ushort[] LabToY = new ushort[256];
    private static readonly ushort[] LabToFy = new ushort[256];
    private static readonly int[] AbToXz = new int[LutBase * 9 / 4];
    private static readonly int[] ForwardCoeffs = new int[9];
    // gamma(v)·coefficient for X (R, G, B), Y (R, G, B), Z (R, G, B): the forward matrix product as nine lookups.
    private static readonly int[] XyzTables = new int[9 * 256];
    private static readonly byte[] LightnessTab = new byte[CbrtTabSize];
    // 500·f and 200·f for the a and b differences, so the forward path has no multiplication left.
    private static readonly int[] Cbrt500 = new int[CbrtTabSize];
    private static readonly int[] Cbrt200 = new int[CbrtTabSize];
    // The inverse matrix's X column (R, G, B rows) times AbToXz[s], and its Z column likewise: four ints per s.
    private static readonly int[] XProducts = new int[4 * (LutBase * 9 / 4)];
    private static readonly int[] ZProducts = new int[4 * (LutBase * 9 / 4)];
    // The gamma table with OpenCV's clamp to 0..4095 built in, over every index the inverse can produce
    // (InvGammaLow .. InvGammaLow + length − 1): one lookup instead of two comparisons and a lookup.
    private static readonly byte[] ClampedInvGamma;
    // Saturation to 0..255 as a lookup over every value the forward a and b expressions can take.
    private static readonly byte[] Saturated;
    private static readonly int SaturatedLow;
    private static readonly int InvGammaLow;
    private static readonly byte[] IdentityMap = [.. Enumerable.Range(0, 768).Select(i => (byte)(i & 255))];
    private static readonly int[] InverseCoeffs = new int[9];

    static OpenCvLab()
    {
        float lthresh = 216f / 24389f, lscale = 841f / 108f, lbias = 16f / 116f;
        for (int i = 0; i < 256; i++)
            GammaTab[i] = (ushort)RoundEven(255f * (1 << GammaShift) * ApplyGamma(i / 255f));
        float invScale = 1f / InvGammaTabSize;
        for (int i = 0; i < InvGammaTabSize; i++)
            InvGammaTab[i] = (ushort)RoundEven(255f * ApplyInvGamma(invScale * i));
        float cbScale = 1f / (255f * (1 << GammaShift));
        for (int i = 0; i < CbrtTabSize; i++)
        {
            float x = cbScale * i;
            float f = x < lthresh ? MathF.FusedMultiplyAdd(x, lscale, lbias) : SoftCbrt(x);
            CbrtTab[i] = (ushort)RoundEven((1 << LabShift2) * f);
        }
        for (int i = 0; i < 256; i++)
        {
            int y, ify;
            if (i <= 20)
            {
                y = RoundEven((float)(i * LutBase * 20 * 9) / (17 * 29 * 29 * 29));
                ify = RoundEven(LutBase * (16f / 116f + (float)(i * 5) / (3 * 17 * 29)));
            }
            else
            {
                float fy = (float)(i * 100 * LutBase) / (255 * 116) + (float)(16 * LutBase) / 116f;
                ify = RoundEven(fy);
                y = RoundEven(fy * fy * fy / ((float)LutBase * LutBase));
            }
            LabToY[i] = (ushort)y;
            LabToFy[i] = (ushort)ify;
        }
        for (int i = MinAbValue; i < LutBase * 9 / 4 + MinAbValue; i++)
            AbToXz[i - MinAbValue] = i <= 3390 ? i * 108 / 841 - LutBase * 16 / 116 * 108 / 841 : i * i / LutBase * i / LutBase;
        for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
        {
            ForwardCoeffs[i * 3 + j] = (int)Math.Round((1 << LabShift) * Srgb2XyzD65[i * 3 + j] / D65[i], MidpointRounding.ToEven);
            // Row r of the inverse holds output channel r (R, G, B); column i is X, Y or Z scaled by the white point.
            InverseCoeffs[j * 3 + i] = (int)Math.Round((1 << LabShift) * Xyz2SrgbD65[j * 3 + i] * D65[i], MidpointRounding.ToEven);
        }
        for (int k = 0; k < 9; k++)
        for (int v = 0; v < 256; v++)
            XyzTables[k * 256 + v] = GammaTab[v] * ForwardCoeffs[k];
        for (int i = 0; i < CbrtTabSize; i++)
        {
            LightnessTab[i] = LightnessOfY(i);
            Cbrt500[i] = 500 * CbrtTab[i];
            Cbrt200[i] = 200 * CbrtTab[i];
        }
        for (int s = 0; s < AbToXz.Length; s++)
        for (int k = 0; k < 3; k++)
        {
            XProducts[4 * s + k] = InverseCoeffs[3 * k] * AbToXz[s];
            ZProducts[4 * s + k] = InverseCoeffs[3 * k + 2] * AbToXz[s];
        }
        (InvGammaLow, ClampedInvGamma) = ClampedInverseTable();
        int reach = 500 * CbrtTab.Max() >> LabShift2; // |500·(fx − fy)| >> shift never exceeds this
        SaturatedLow = 128 - reach - 1;
        Saturated = new byte[2 * reach + 3];
        for (int i = 0; i < Saturated.Length; i++) Saturated[i] = Saturate(SaturatedLow + i);
    }

    // Bounds of (X + Y + Z products + rounding) >> shift over all byte triples, from the reachable table rows.
    private static (int Low, byte[] Table) ClampedInverseTable()
    {
        const int round = 1 << (Lab2RgbShift - 1), top = InvGammaTabSize - 1;
        long low = long.MaxValue, high = long.MinValue;
        for (int k = 0; k < 3; k++)
        {
            long xMin = long.MaxValue, xMax = long.MinValue, zMin = long.MaxValue, zMax = long.MinValue, yMin = long.MaxValue, yMax = long.MinValue;
            for (int l = 0; l < 256; l++)
            {
                long y = (long)InverseCoeffs[3 * k + 1] * LabToY[l];
                yMin = Math.Min(yMin, y);
                yMax = Math.Max(yMax, y);
                for (int v = 0; v < 256; v++)
                {
                    int xs = LabToFy[l] - MinAbValue + ((5 * v * 53687 + (1 << 7)) >> 13) - 128 * LutBase / 500;
                    int zs = LabToFy[l] - MinAbValue - (((v * 41943 + (1 << 4)) >> 9) - 128 * LutBase / 200 + 1);
                    xMin = Math.Min(xMin, XProducts[4 * xs + k]);
                    xMax = Math.Max(xMax, XProducts[4 * xs + k]);
                    zMin = Math.Min(zMin, ZProducts[4 * zs + k]);
                    zMax = Math.Max(zMax, ZProducts[4 * zs + k]);
                }
            }
            low = Math.Min(low, (xMin + yMin + zMin + round) >> Lab2RgbShift);
            high = Math.Max(high, (xMax + yMax + zMax + round) >> Lab2RgbShift);
        }
        var table = new byte[high - low + 1];
        for (long v = low; v <= high; v++) table[v - low] = (byte)InvGammaTab[Math.Clamp(v, 0, top)];
        return ((int)low, table);
    }

    /// <summary>RGB → 8-bit LAB (L·255/100, a+128, b+128), as cv2.cvtColor(img, COLOR_RGB2LAB) on uint8.</summary>
    public static void RgbToLab(ReadOnlySpan<byte> rgb, Span<byte> lab) => RgbToLab(rgb, lab, []);

    /// <summary>
    /// <see cref="RgbToLab(ReadOnlySpan{byte}, Span{byte})"/> that also counts every output byte into
    /// <paramref name="histogram"/> (768 entries: L, a, b), when it is not empty: one pass instead of two.
    /// </summary>
    public static unsafe void RgbToLab(ReadOnlySpan<byte> rgb, Span<byte> lab, Span<int> histogram)
    {
        if (lab.Length < rgb.Length) throw new ArgumentException("destination too small", nameof(lab));
        if (!histogram.IsEmpty && histogram.Length < 768) throw new ArgumentException("histogram needs 768 entries", nameof(histogram));
        const int round = 1 << (LabShift - 1), round2 = 1 << (LabShift2 - 1), offset = 128 * (1 << LabShift2) + round2;
        int n = rgb.Length - rgb.Length % 3;
        // Odd pixels count into a second histogram: neighbours often share a value, and one table would make each
        // increment wait for the previous store.
        Span<int> odd = stackalloc int[768];
        odd.Clear();
        fixed (byte* src = rgb, dst = lab, lightness = LightnessTab, saturatedTable = Saturated)
        fixed (int* t = XyzTables, hist = histogram, hist2 = odd, c500 = Cbrt500, c200 = Cbrt200)
        {
            byte* saturate = saturatedTable - SaturatedLow;
            int* h = hist2;
            for (int p = 0; p < n; p += 3)
            {
                int r = src[p], g = src[p + 1], b = src[p + 2];
                int xi = (t[r] + t[256 + g] + t[512 + b] + round) >> LabShift;
                int yi = (t[768 + r] + t[1024 + g] + t[1280 + b] + round) >> LabShift;
                int zi = (t[1536 + r] + t[1792 + g] + t[2048 + b] + round) >> LabShift;
                byte l = lightness[yi];
                byte a = saturate[(c500[xi] - c500[yi] + offset) >> LabShift2];
                byte bb = saturate[(c200[yi] - c200[zi] + offset) >> LabShift2];
                dst[p] = l;
                dst[p + 1] = a;
                dst[p + 2] = bb;
                if (hist != null)
                {
                    h = h == hist ? hist2 : hist;
                    h[l]++;
                    h[256 + a]++;
                    h[512 + bb]++;
                }
            }
        }
        if (!histogram.IsEmpty)
            for (int i = 0; i < 768; i++) histogram[i] += odd[i];
    }

    /// <summary>The L byte alone of <see cref="RgbToLab"/> (what the tissue mask needs), for one pixel.</summary>
    public static byte Lightness(byte r8, byte g8, byte b8)
    {
        var c = ForwardCoeffs;
        return LightnessOfY(Descale(GammaTab[r8] * c[3] + GammaTab[g8] * c[4] + GammaTab[b8] * c[5], LabShift));
    }

    /// <summary>
    /// Per-channel contributions to the fixed-point Y index for inputs first mapped through <paramref name="lut"/>:
    /// Y index = (t[r] + t[256 + g] + t[512 + b] + 2^11) &gt;&gt; 12, and L = <see cref="LightnessOfY"/>(index).
    /// Lets a caller fuse a byte mapping (the tissue mask's contrast stretch) with the lightness computation.
    /// </summary>
    public static int[] YTables(ReadOnlySpan<byte> lut)
    {
        var c = ForwardCoeffs;
        var t = new int[768];
        for (int v = 0; v < 256; v++)
        {
            t[v] = GammaTab[lut[v]] * c[3];
            t[256 + v] = GammaTab[lut[v]] * c[4];
            t[512 + v] = GammaTab[lut[v]] * c[5];
        }
        return t;
    }

    /// <summary>Number of distinct Y indices (<see cref="LightnessOfY"/> accepts 0 .. YIndexCount − 1).</summary>
    public const int YIndexCount = CbrtTabSize;

    public static byte LightnessOfY(int yIndex)
    {
        const int lscale = (116 * 255 + 50) / 100;
        const int lshift = -((16 * 255 * (1 << LabShift2) + 50) / 100);
        return Saturate(Descale(lscale * CbrtTab[yIndex] + lshift, LabShift2));
    }

    /// <summary>8-bit LAB → RGB, as cv2.cvtColor(img, COLOR_LAB2RGB) on uint8 (OpenCV's bit-exact integer path).</summary>
    public static void LabToRgb(ReadOnlySpan<byte> lab, Span<byte> rgb) => LabToRgb(lab, IdentityMap, rgb);

    /// <summary>
    /// LAB → RGB of the bytes first mapped through <paramref name="map"/> (768 entries: L, a, b tables), i.e.
    /// LabToRgb(map(lab)). The map is folded into OpenCV's per-byte tables, so it costs nothing per pixel.
    /// </summary>
    public static unsafe void LabToRgb(ReadOnlySpan<byte> lab, ReadOnlySpan<byte> map, Span<byte> rgb)
    {
        if (rgb.Length < lab.Length) throw new ArgumentException("destination too small", nameof(rgb));
        if (map.Length < 768) throw new ArgumentException("map needs 768 entries", nameof(map));
        // Everything OpenCV derives from one byte, composed with the map: the products of Y with the matrix's Y
        // column (plus rounding) and f(Y) from L, the offsets into AbToXz from a and b.
        const int round = 1 << (Lab2RgbShift - 1);
        var c = InverseCoeffs;
        Span<int> perByte = stackalloc int[7 * 256];
        for (int v = 0; v < 256; v++)
        {
            int l = map[v], a = map[256 + v], b = map[512 + v];
            for (int k = 0; k < 3; k++) perByte[4 * v + k] = c[3 * k + 1] * LabToY[l] + round;
            perByte[1024 + v] = LabToFy[l] - MinAbValue;
            perByte[1280 + v] = ((5 * a * 53687 + (1 << 7)) >> 13) - 128 * LutBase / 500;
            perByte[1536 + v] = ((b * 41943 + (1 << 4)) >> 9) - 128 * LutBase / 200 + 1;
        }
        int n = lab.Length - lab.Length % 3;
        fixed (byte* src = lab, dst = rgb, clamped = ClampedInvGamma)
        fixed (int* t = perByte, xp = XProducts, zp = ZProducts)
        {
            byte* inv = clamped - InvGammaLow;
            for (int p = 0; p < n; p += 3)
            {
                int l = src[p];
                int* y = t + 4 * l;
                int ify = t[1024 + l];
                int* x = xp + 4 * (ify + t[1280 + src[p + 1]]);
                int* z = zp + 4 * (ify - t[1536 + src[p + 2]]);
                dst[p] = inv[(x[0] + y[0] + z[0]) >> Lab2RgbShift];
                dst[p + 1] = inv[(x[1] + y[1] + z[1]) >> Lab2RgbShift];
                dst[p + 2] = inv[(x[2] + y[2] + z[2]) >> Lab2RgbShift];
            }
        }
    }

    private static int Descale(int x, int n) => (x + (1 << (n - 1))) >> n;

    private static byte Saturate(int v) => (byte)(v < 0 ? 0 : v > 255 ? 255 : v);

    private static int RoundEven(float v) => (int)MathF.Round(v, MidpointRounding.ToEven);

    // OpenCV evaluates the sRGB curves in double from a float argument and rounds the result to float.
    private static float ApplyGamma(float x)
    {
        double xd = x;
        return (float)(xd <= 809.0 / 20000.0 ? xd / (323.0 / 25.0) : Math.Pow((xd + 11.0 / 200.0) / (1.0 + 11.0 / 200.0), 12.0 / 5.0));
    }

    private static float ApplyInvGamma(float x)
    {
        double xd = x;
        return (float)(xd <= 7827.0 / 2500000.0 ? xd * (323.0 / 25.0) : Math.Pow(xd, 1.0 / (12.0 / 5.0)) * (1.0 + 11.0 / 200.0) - 11.0 / 200.0);
    }

    // OpenCV's softfloat cbrt (Ken Turkowski's rational approximation, mantissa truncated): not correctly rounded,
    // and one table entry (324) differs from a correctly rounded cube root, so it is reproduced as written.
    private static float SoftCbrt(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        int ex = (int)((bits >> 23) & 0xFF) - 127;
        int shx = ex % 3;
        shx -= shx >= 0 ? 3 : 0;
        ex = (ex - shx) / 3 - 1;
        double fr = BitConverter.UInt64BitsToDouble(((ulong)(shx + 1023) << 52) | ((ulong)(bits & 0x7FFFFF) << 29));
        double a1 = BitConverter.UInt64BitsToDouble(0x4046a09e6653ba70), a2 = BitConverter.UInt64BitsToDouble(0x406808f46c6116e0);
        double a3 = BitConverter.UInt64BitsToDouble(0x405dca97439cae14), a4 = BitConverter.UInt64BitsToDouble(0x402add70d2827500);
        double a5 = BitConverter.UInt64BitsToDouble(0x3fc4f15f83f55d2d), a6 = BitConverter.UInt64BitsToDouble(0x402d9e20660edb21);
        double a7 = BitConverter.UInt64BitsToDouble(0x4062ff15c0285815), a8 = BitConverter.UInt64BitsToDouble(0x406510d06a8112ce);
        double a9 = BitConverter.UInt64BitsToDouble(0x4040fecbc9e2c375);
        fr = ((((a1 * fr + a2) * fr + a3) * fr + a4) * fr + a5) / ((((a6 * fr + a7) * fr + a8) * fr + a9) * fr + 1.0);
        uint mantissa = (uint)((BitConverter.DoubleToUInt64Bits(fr) & 0xFFFFFFFFFFFFF) >> 29);
        return BitConverter.UInt32BitsToSingle(((uint)(ex + 127) << 23) | mantissa);
    }

    private static double[] Raw(params ulong[] bits) => bits.Select(b => BitConverter.UInt64BitsToDouble(b)).ToArray();
}

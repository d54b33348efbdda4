using System.Runtime.InteropServices;

namespace HistoPrognosis.Slides;

/// <summary>
/// The TurboJPEG C API of libjpeg-turbo (Debian's <c>libturbojpeg.so.0</c>, package <c>libturbojpeg0</c>), bound at run
/// time by function pointers like <see cref="OpenSlideNative"/>. Only decompression is used: one handle per thread
/// (a handle is not thread-safe), kept for the thread's life.
/// </summary>
internal static unsafe class TurboJpegNative
{
    private static readonly string[] Candidates = ["libturbojpeg.so.0", "libturbojpeg.so", "libturbojpeg.0.dylib", "turbojpeg.dll"];
    private static readonly Lazy<Api?> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    public const int PixelFormatRgb = 0;              // TJPF_RGB
    public const int ColorspaceRgb = 0, ColorspaceYCbCr = 1; // TJCS_RGB, TJCS_YCbCr
    public const int FlagStopOnWarning = 8192;        // TJFLAG_STOPONWARNING: a corrupt stream is an error, not grey blocks

    internal sealed class Api
    {
        public delegate* unmanaged[Cdecl]<IntPtr> InitDecompress;
        public delegate* unmanaged[Cdecl]<IntPtr, byte*, nuint, int*, int*, int*, int*, int> DecompressHeader3;
        public delegate* unmanaged[Cdecl]<IntPtr, byte*, nuint, byte*, int, int, int, int, int, int> Decompress2;
        public delegate* unmanaged[Cdecl]<IntPtr, IntPtr> GetErrorStr2;
        public delegate* unmanaged[Cdecl]<IntPtr, int> Destroy;
    }

    /// <summary>True when libturbojpeg could be loaded.</summary>
    public static bool IsAvailable => Loaded.Value is not null;

    /// <summary>The loaded API, or null (then JPEG tiles are decoded by the slide's own backend).</summary>
    public static Api? TryGet() => Loaded.Value;

    [ThreadStatic] private static IntPtr _handle;

    /// <summary>This thread's decompressor (created on first use).</summary>
    public static IntPtr ThreadHandle(Api api)
    {
        if (_handle == IntPtr.Zero)
        {
            _handle = api.InitDecompress();
            if (_handle == IntPtr.Zero) throw new InvalidOperationException("libturbojpeg: tjInitDecompress failed");
        }
        return _handle;
    }

    public static string Error(Api api, IntPtr handle) => Marshal.PtrToStringUTF8(api.GetErrorStr2(handle)) ?? "unknown error";

    private static Api? Load()
    {
        foreach (var name in Candidates)
        {
            if (!NativeLibrary.TryLoad(name, out var lib)) continue;
            try
            {
                return new Api
                {
                    InitDecompress = (delegate* unmanaged[Cdecl]<IntPtr>)NativeLibrary.GetExport(lib, "tjInitDecompress"),
                    DecompressHeader3 = (delegate* unmanaged[Cdecl]<IntPtr, byte*, nuint, int*, int*, int*, int*, int>)NativeLibrary.GetExport(lib, "tjDecompressHeader3"),
                    Decompress2 = (delegate* unmanaged[Cdecl]<IntPtr, byte*, nuint, byte*, int, int, int, int, int, int>)NativeLibrary.GetExport(lib, "tjDecompress2"),
                    GetErrorStr2 = (delegate* unmanaged[Cdecl]<IntPtr, IntPtr>)NativeLibrary.GetExport(lib, "tjGetErrorStr2"),
                    Destroy = (delegate* unmanaged[Cdecl]<IntPtr, int>)NativeLibrary.GetExport(lib, "tjDestroy"),
                };
            }
            catch (EntryPointNotFoundException)
            {
                NativeLibrary.Free(lib); // too old (before 2.0: no tjGetErrorStr2): not used
            }
        }
        return null;
    }
}

using System.Runtime.InteropServices;

namespace HistoPrognosis.Slides;

/// <summary>
/// The C API of OpenSlide (Debian's <c>libopenslide.so.0</c>, package <c>libopenslide0</c>; OpenSlide 4's
/// <c>libopenslide.so.1</c> also works), bound at run time. The library name is mapped here by
/// <see cref="NativeLibrary.TryLoad(string, out IntPtr)"/> and function pointers rather than by a
/// DllImport resolver, because .NET allows only one resolver per assembly and other parts of this library may need it.
/// </summary>
internal static unsafe class OpenSlideNative
{
    private static readonly string[] Candidates = ["libopenslide.so.0", "libopenslide.so.1", "libopenslide.so", "libopenslide.dylib", "libopenslide-1.dll", "libopenslide-0.dll"];
    private static readonly Lazy<Api?> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    internal sealed class Api
    {
        public delegate* unmanaged[Cdecl]<byte*, IntPtr> Open;
        public delegate* unmanaged[Cdecl]<byte*, IntPtr> DetectVendor;
        public delegate* unmanaged[Cdecl]<IntPtr, IntPtr> GetError;
        public delegate* unmanaged[Cdecl]<IntPtr, int> GetLevelCount;
        public delegate* unmanaged[Cdecl]<IntPtr, int, long*, long*, void> GetLevelDimensions;
        public delegate* unmanaged[Cdecl]<IntPtr, int, double> GetLevelDownsample;
        public delegate* unmanaged[Cdecl]<IntPtr, byte*, IntPtr> GetPropertyValue;
        public delegate* unmanaged[Cdecl]<IntPtr, uint*, long, long, int, long, long, void> ReadRegion;
        public delegate* unmanaged[Cdecl]<IntPtr, void> Close;
        public delegate* unmanaged[Cdecl]<IntPtr> GetVersion;
    }

    /// <summary>True when the native library could be loaded.</summary>
    public static bool IsAvailable => Loaded.Value is not null;

    /// <summary>The loaded API, or a clear error that says which package to install.</summary>
    public static Api Require() => Loaded.Value ?? throw new UserInputException(
        "OpenSlide is not installed: libopenslide.so.0 was not found (on Debian/Ubuntu: apt-get install libopenslide0)");

    public static string? Version => Loaded.Value is { } api ? Utf8(api.GetVersion()) : null;

    private static Api? Load()
    {
        foreach (var name in Candidates)
        {
            if (!NativeLibrary.TryLoad(name, out var lib)) continue;
            try
            {
                return new Api
                {
                    Open = (delegate* unmanaged[Cdecl]<byte*, IntPtr>)NativeLibrary.GetExport(lib, "openslide_open"),
                    DetectVendor = (delegate* unmanaged[Cdecl]<byte*, IntPtr>)NativeLibrary.GetExport(lib, "openslide_detect_vendor"),
                    GetError = (delegate* unmanaged[Cdecl]<IntPtr, IntPtr>)NativeLibrary.GetExport(lib, "openslide_get_error"),
                    GetLevelCount = (delegate* unmanaged[Cdecl]<IntPtr, int>)NativeLibrary.GetExport(lib, "openslide_get_level_count"),
                    GetLevelDimensions = (delegate* unmanaged[Cdecl]<IntPtr, int, long*, long*, void>)NativeLibrary.GetExport(lib, "openslide_get_level_dimensions"),
                    GetLevelDownsample = (delegate* unmanaged[Cdecl]<IntPtr, int, double>)NativeLibrary.GetExport(lib, "openslide_get_level_downsample"),
                    GetPropertyValue = (delegate* unmanaged[Cdecl]<IntPtr, byte*, IntPtr>)NativeLibrary.GetExport(lib, "openslide_get_property_value"),
                    ReadRegion = (delegate* unmanaged[Cdecl]<IntPtr, uint*, long, long, int, long, long, void>)NativeLibrary.GetExport(lib, "openslide_read_region"),
                    Close = (delegate* unmanaged[Cdecl]<IntPtr, void>)NativeLibrary.GetExport(lib, "openslide_close"),
                    GetVersion = (delegate* unmanaged[Cdecl]<IntPtr>)NativeLibrary.GetExport(lib, "openslide_get_version"),
                };
            }
            catch (EntryPointNotFoundException)
            {
                NativeLibrary.Free(lib);
            }
        }
        return null;
    }

    /// <summary>The vendor OpenSlide recognises for a file, or null (no OpenSlide, or not a slide it can read).</summary>
    public static string? DetectVendor(string path)
    {
        if (Loaded.Value is not { } api) return null;
        var bytes = Utf8Z(path);
        fixed (byte* p = bytes) return Utf8(api.DetectVendor(p));
    }

    public static byte[] Utf8Z(string s)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(s) + 1];
        System.Text.Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }

    public static string? Utf8(IntPtr p) => p == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(p);
}

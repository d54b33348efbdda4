using System.IO.Compression;
using System.Text;

namespace HistoPrognosis.Features;

/// <summary>
/// A TorchScript module archive (what <c>torch.jit.save</c> writes) built in memory from method source, for
/// <c>jit.load</c>. Loading, unlike <c>jit.compile</c>, resolves the <c>ops.NAMESPACE.op</c> calls of serialized
/// code, which is how LibTorch's fused oneDNN operators (<c>ops.mkldnn._convolution_pointwise</c>) are reached from
/// .NET. The module has no parameters or buffers: its one attribute is <c>training</c>, pickled as False.
/// </summary>
internal static class TorchScriptArchive
{
    /// <param name="className">the module's class, <c>__torch__.CLASS</c> in the methods' <c>self</c> annotations</param>
    /// <param name="methods">the class's methods in serialized-code form: two-space indented <c>def</c>s, typed <c>self</c></param>
    public static byte[] Module(string className, string methods)
    {
        var code = new StringBuilder()
            .Append("class ").Append(className).AppendLine("(Module):")
            .AppendLine("  __parameters__ = []").AppendLine("  __buffers__ = []").AppendLine("  training : bool")
            .Append(methods).ToString();
        using var bytes = new MemoryStream();
        using (var zip = new ZipArchive(bytes, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Put(string name, byte[] content)
            {
                using var entry = zip.CreateEntry("archive/" + name, CompressionLevel.NoCompression).Open();
                entry.Write(content);
            }
            Put("data.pkl", ObjectPickle(className));
            Put("code/__torch__.py", Encoding.UTF8.GetBytes(code));
            Put("constants.pkl", [0x80, 0x02, (byte)')', (byte)'.']); // protocol 2, empty tuple, stop
            Put("version", "3\n"u8.ToArray());
        }
        return bytes.ToArray();
    }

    /// <summary>Pickle protocol 2 of <c>__torch__.CLASS</c> built from the state dict {"training": False}.</summary>
    private static byte[] ObjectPickle(string className)
    {
        var p = new List<byte> { 0x80, 0x02 };
        p.Add((byte)'c');
        p.AddRange(Encoding.ASCII.GetBytes($"__torch__\n{className}\n"));
        p.AddRange([(byte)')', 0x81, (byte)'}', (byte)'(']); // empty tuple, NEWOBJ, empty dict, MARK
        p.Add((byte)'X');
        p.AddRange(BitConverter.GetBytes(8));
        p.AddRange("training"u8.ToArray());
        p.Add(0x89); // NEWFALSE
        p.AddRange([(byte)'u', (byte)'b', (byte)'.']); // SETITEMS, BUILD, STOP
        return p.ToArray();
    }
}

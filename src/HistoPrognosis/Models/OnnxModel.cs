using System.Buffers.Binary;
using System.Text;

namespace HistoPrognosis.Models;

/// <summary>An ONNX graph node: operator, tensor names in and out, integer attributes (what weight mapping needs).</summary>
public sealed record OnnxNode(string OpType, string Name, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs,
    IReadOnlyDictionary<string, long[]> IntAttributes);

/// <summary>A float initializer (weight) of an ONNX graph.</summary>
public sealed record OnnxTensor(string Name, long[] Dims, float[] Data);

/// <summary>
/// The parts of an ONNX model that weight loading needs: nodes in graph order and float initializers.
/// A minimal protobuf reader so no code generation or extra package is needed; anything unexpected fails
/// with a message naming the file.
/// </summary>
public sealed class OnnxModel
{
    private OnnxModel(string path, IReadOnlyList<OnnxNode> nodes, IReadOnlyDictionary<string, OnnxTensor> initializers)
    {
        Path = path;
        Nodes = nodes;
        Initializers = initializers;
    }

    public string Path { get; }
    public IReadOnlyList<OnnxNode> Nodes { get; }
    public IReadOnlyDictionary<string, OnnxTensor> Initializers { get; }

    public static OnnxModel Load(string path)
    {
        if (!File.Exists(path)) throw new UserInputException($"ONNX model not found: {path}");
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Reads a model held in memory (e.g. one <see cref="OnnxGraphBuilder"/> wrote); <paramref name="path"/> names it in errors.</summary>
    public static OnnxModel Parse(byte[] bytes, string path)
    {
        try
        {
            var graph = FindGraph(bytes, path);
            var nodes = new List<OnnxNode>();
            var inits = new Dictionary<string, OnnxTensor>();
            var reader = new ProtoReader(graph);
            while (reader.Next(out var field, out var wire))
            {
                if (field == 1 && wire == 2) nodes.Add(ReadNode(reader.Bytes()));
                else if (field == 5 && wire == 2)
                {
                    var tensor = ReadTensor(reader.Bytes(), path);
                    inits[tensor.Name] = tensor;
                }
                else reader.Skip(wire);
            }
            if (nodes.Count == 0) throw new InvalidDataException($"{path}: ONNX graph has no nodes");
            return new OnnxModel(path, nodes, inits);
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or IndexOutOfRangeException or OverflowException)
        {
            throw new InvalidDataException($"{path}: not a valid ONNX model (truncated or corrupt protobuf)", ex);
        }
    }

    private static ReadOnlyMemory<byte> FindGraph(byte[] bytes, string path)
    {
        var reader = new ProtoReader(bytes);
        ReadOnlyMemory<byte>? graph = null;
        while (reader.Next(out var field, out var wire))
        {
            if (field == 7 && wire == 2) graph = reader.Bytes();
            else reader.Skip(wire);
        }
        return graph ?? throw new InvalidDataException($"{path}: not an ONNX model (no graph)");
    }

    private static OnnxNode ReadNode(ReadOnlyMemory<byte> data)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        string name = "", op = "";
        var attributes = new Dictionary<string, long[]>();
        var reader = new ProtoReader(data);
        while (reader.Next(out var field, out var wire))
        {
            switch (field)
            {
                case 1 when wire == 2: inputs.Add(reader.String()); break;
                case 2 when wire == 2: outputs.Add(reader.String()); break;
                case 3 when wire == 2: name = reader.String(); break;
                case 4 when wire == 2: op = reader.String(); break;
                case 5 when wire == 2:
                    var (attrName, values) = ReadIntAttribute(reader.Bytes());
                    if (values.Length > 0) attributes[attrName] = values;
                    break;
                default: reader.Skip(wire); break;
            }
        }
        return new OnnxNode(op, name, inputs, outputs, attributes);
    }

    private static (string Name, long[] Values) ReadIntAttribute(ReadOnlyMemory<byte> data)
    {
        string name = "";
        var values = new List<long>();
        var reader = new ProtoReader(data);
        while (reader.Next(out var field, out var wire))
        {
            if (field == 1 && wire == 2) name = reader.String();
            else if (field == 3 && wire == 0) values.Add((long)reader.Varint());
            else if (field == 8 && wire == 0) values.Add((long)reader.Varint());
            else if (field == 8 && wire == 2) values.AddRange(ProtoReader.PackedVarints(reader.Bytes()));
            else reader.Skip(wire);
        }
        return (name, values.ToArray());
    }

    private static OnnxTensor ReadTensor(ReadOnlyMemory<byte> data, string path)
    {
        var dims = new List<long>();
        string name = "";
        int dataType = 0;
        ReadOnlyMemory<byte>? raw = null;
        ReadOnlyMemory<byte>? packedFloats = null;
        var floats = new List<float>();
        var reader = new ProtoReader(data);
        while (reader.Next(out var field, out var wire))
        {
            switch (field)
            {
                case 1 when wire == 0: dims.Add((long)reader.Varint()); break;
                case 1 when wire == 2: dims.AddRange(ProtoReader.PackedVarints(reader.Bytes())); break;
                case 2 when wire == 0: dataType = (int)reader.Varint(); break;
                case 4 when wire == 2: packedFloats = reader.Bytes(); break;
                case 4 when wire == 5: floats.Add(reader.Fixed32AsFloat()); break;
                case 8 when wire == 2: name = reader.String(); break;
                case 9 when wire == 2: raw = reader.Bytes(); break;
                default: reader.Skip(wire); break;
            }
        }
        const int FloatType = 1;
        if (dataType != FloatType)
            return new OnnxTensor(name, dims.ToArray(), []);
        long count = dims.Aggregate(1L, (a, b) => a * b);
        float[] values;
        if (raw is { } r) values = ToFloats(r.Span);
        else if (packedFloats is { } p) values = ToFloats(p.Span);
        else values = floats.ToArray();
        if (values.Length != count)
            throw new InvalidDataException($"{path}: initializer '{name}' holds {values.Length} floats, its shape [{string.Join(",", dims)}] needs {count} (truncated file?)");
        return new OnnxTensor(name, dims.ToArray(), values);
    }

    private static float[] ToFloats(ReadOnlySpan<byte> bytes)
    {
        var values = new float[bytes.Length / 4];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(i * 4, 4));
        return values;
    }

    /// <summary>Protobuf wire-format cursor over one message.</summary>
    private sealed class ProtoReader(ReadOnlyMemory<byte> data)
    {
        private int _pos;

        public bool Next(out int field, out int wire)
        {
            if (_pos >= data.Length) { field = wire = 0; return false; }
            var key = Varint();
            field = (int)(key >> 3);
            wire = (int)(key & 7);
            return true;
        }

        public ulong Varint()
        {
            var span = data.Span;
            ulong result = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                byte b = span[_pos++];
                result |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0) return result;
            }
            throw new OverflowException("varint too long");
        }

        public ReadOnlyMemory<byte> Bytes()
        {
            int length = checked((int)Varint());
            if (length < 0 || _pos + length > data.Length) throw new ArgumentOutOfRangeException(nameof(length), "field runs past the end of its message");
            var slice = data.Slice(_pos, length);
            _pos += length;
            return slice;
        }

        public string String() => Encoding.UTF8.GetString(Bytes().Span);

        public float Fixed32AsFloat()
        {
            var value = BinaryPrimitives.ReadSingleLittleEndian(data.Span.Slice(_pos, 4));
            _pos += 4;
            return value;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: _pos += 8; break;
                case 2: Bytes(); break;
                case 5: _pos += 4; break;
                default: throw new InvalidDataException($"unsupported protobuf wire type {wire}");
            }
            if (_pos > data.Length) throw new ArgumentOutOfRangeException(nameof(wire), "field runs past the end of its message");
        }

        public static IEnumerable<long> PackedVarints(ReadOnlyMemory<byte> bytes)
        {
            var inner = new ProtoReader(bytes);
            var values = new List<long>();
            while (inner._pos < bytes.Length) values.Add((long)inner.Varint());
            return values;
        }
    }
}

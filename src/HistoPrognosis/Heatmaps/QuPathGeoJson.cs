using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HistoPrognosis.IO;
using HistoPrognosis.Tiling;

namespace HistoPrognosis.Heatmaps;

/// <summary>
/// One slide's heatmap as a GeoJSON FeatureCollection that QuPath's <i>File → Import objects from file</i> reads: every
/// tile a detection (a rectangle in level-0 pixels) with its scores as measurements, so <i>Measure → Show measurement
/// maps</i> draws the heatmap; every tissue region an annotation. The layout follows QuPath's own reader
/// (qupath-core <c>qupath/lib/io/PathObjectTypeAdapters.java</c>, <c>parseObject</c>, v0.4 and later): a Feature's
/// <c>geometry</c> is its ROI; <c>properties.objectType</c> picks the object ("detection", "annotation"; without it an
/// annotation); <c>properties.classification</c> is a PathClass <c>{name, color: [r, g, b]}</c>;
/// <c>properties.measurements</c> is an object of name → number (v0.4's form; the older list of {name, value} is also
/// read); a Feature <c>id</c> that parses as a UUID becomes the object's id.
/// </summary>
public static class QuPathGeoJson
{
    public const string Risk = "risk", Attention = "attention", AttentionRank = "attention_rank";
    public const string HigherRisk = "Higher risk", LowerRisk = "Lower risk", Tissue = "Tissue";

    /// <summary>
    /// Writes the collection atomically. Tiles at or above the slide's median tile risk are classified
    /// <see cref="HigherRisk"/>, the others <see cref="LowerRisk"/> (coloured as the ends of coolwarm).
    /// </summary>
    public static void Write(string path, string slideName, IReadOnlyList<TileRect> tiles, IReadOnlyList<float> risk,
        IReadOnlyList<float>? attention, IReadOnlyList<float>? attentionRank, SlideCanvas? canvas)
    {
        var sorted = risk.OrderBy(r => r).ToArray();
        double median = sorted.Length == 0 ? 0 : sorted[sorted.Length / 2];
        var high = ColorMap.Coolwarm.At(1);
        var low = ColorMap.Coolwarm.At(0);
        AtomicFile.Write(path, temp =>
        {
            using var stream = File.Create(temp);
            using var json = new Utf8JsonWriter(stream);
            json.WriteStartObject();
            json.WriteString("type", "FeatureCollection");
            json.WriteStartArray("features");
            if (canvas is not null)
            {
                var polygons = MaskContours.Trace(canvas.Tissue);
                for (int i = 0; i < polygons.Count; i++)
                {
                    StartFeature(json, StableId(slideName, "tissue", i));
                    json.WriteString("type", "Polygon");
                    json.WriteStartArray("coordinates");
                    Ring(json, polygons[i].Outer, canvas);
                    foreach (var hole in polygons[i].Holes) Ring(json, hole, canvas);
                    json.WriteEndArray();
                    json.WriteEndObject();
                    json.WriteStartObject("properties");
                    json.WriteString("objectType", "annotation");
                    json.WriteString("name", $"tissue {i + 1}");
                    Classification(json, Tissue, (0, 160, 0));
                    json.WriteBoolean("isLocked", true);
                    json.WriteEndObject();
                    json.WriteEndObject();
                }
            }
            for (int i = 0; i < tiles.Count; i++)
            {
                var t = tiles[i];
                StartFeature(json, StableId(slideName, "tile", i));
                json.WriteString("type", "Polygon");
                json.WriteStartArray("coordinates");
                json.WriteStartArray();
                foreach (var (x, y) in new[] { (t.X, t.Y), (t.X + t.Width, t.Y), (t.X + t.Width, t.Y + t.Height), (t.X, t.Y + t.Height), (t.X, t.Y) })
                {
                    json.WriteStartArray();
                    json.WriteNumberValue(x);
                    json.WriteNumberValue(y);
                    json.WriteEndArray();
                }
                json.WriteEndArray();
                json.WriteEndArray();
                json.WriteEndObject();
                json.WriteStartObject("properties");
                json.WriteString("objectType", "detection");
                bool isHigh = risk[i] >= median;
                Classification(json, isHigh ? HigherRisk : LowerRisk, isHigh ? high : low);
                json.WriteStartObject("measurements");
                json.WriteNumber(Risk, risk[i]);
                if (attention is not null) json.WriteNumber(Attention, attention[i]);
                if (attentionRank is not null) json.WriteNumber(AttentionRank, attentionRank[i]);
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    // Opens the Feature and its geometry object.
    private static void StartFeature(Utf8JsonWriter json, Guid id)
    {
        json.WriteStartObject();
        json.WriteString("type", "Feature");
        json.WriteString("id", id.ToString());
        json.WriteStartObject("geometry");
    }

    private static void Classification(Utf8JsonWriter json, string name, (byte R, byte G, byte B) colour)
    {
        json.WriteStartObject("classification");
        json.WriteString("name", name);
        json.WriteStartArray("color");
        json.WriteNumberValue(colour.R);
        json.WriteNumberValue(colour.G);
        json.WriteNumberValue(colour.B);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Ring(Utf8JsonWriter json, IReadOnlyList<(int X, int Y)> ring, SlideCanvas canvas)
    {
        json.WriteStartArray();
        foreach (var (x, y) in ring)
        {
            json.WriteStartArray();
            json.WriteNumberValue(Math.Round(canvas.OriginX + x * canvas.DownsampleX, 2));
            json.WriteNumberValue(Math.Round(canvas.OriginY + y * canvas.DownsampleY, 2));
            json.WriteEndArray();
        }
        json.WriteEndArray();
    }

    /// <summary>A UUID from the slide, kind and index, so a rerun writes the same ids (QuPath keeps ids that parse as UUIDs).</summary>
    private static Guid StableId(string slide, string kind, int index)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes($"{slide}\n{kind}\n{index}"))[..16];
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x50); // version nibble (Guid's byte order puts it in byte 7)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes);
    }
}

using HistoPrognosis.Imaging;

namespace HistoPrognosis.Slides;

/// <summary>A thread-safe least-recently-used cache of decoded tiles, bounded in bytes.</summary>
internal sealed class TileCache(long capacityBytes)
{
    private readonly Dictionary<(int Level, int Index), LinkedListNode<((int, int) Key, RgbImage Image)>> _map = new();
    private readonly LinkedList<((int, int) Key, RgbImage Image)> _order = new();
    private long _bytes;

    public RgbImage GetOrAdd((int Level, int Index) key, Func<RgbImage> decode)
    {
        lock (_map)
        {
            if (_map.TryGetValue(key, out var hit))
            {
                _order.Remove(hit);
                _order.AddFirst(hit);
                return hit.Value.Image;
            }
        }
        var image = decode(); // outside the lock: other threads keep reading while this one decodes
        lock (_map)
        {
            if (_map.ContainsKey(key)) return image;
            _map[key] = _order.AddFirst((key, image));
            _bytes += image.Pixels.Length;
            while (_bytes > capacityBytes && _order.Count > 1)
            {
                var last = _order.Last!;
                _order.RemoveLast();
                _map.Remove(last.Value.Key);
                _bytes -= last.Value.Image.Pixels.Length;
            }
            return image;
        }
    }
}

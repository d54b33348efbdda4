using System.Collections.Concurrent;
using static TorchSharp.torch;

namespace HistoPrognosis.Training;

/// <summary>One training batch ready for the step: augmented uint8 images (N×3×H×W, CPU) and their labels.</summary>
internal sealed class PreparedBatch(Tensor images, float[] labels) : IDisposable
{
    public Tensor Images { get; } = images;
    public float[] Labels { get; } = labels;
    public void Dispose() => Images.Dispose();
}

/// <summary>
/// Prepares the next batches on a worker thread while the current optimizer step runs: sampling, pixel
/// augmentation and geometry are the host work of a step, and they overlap the forward/backward pass instead of
/// preceding it. Batches come out in the order they were drawn, so a run is the same with or without the overlap.
/// </summary>
internal sealed class BatchPrefetcher : IDisposable
{
    private readonly BlockingCollection<PreparedBatch> _ready;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _worker;

    public BatchPrefetcher(Func<PreparedBatch> prepare, int count, int ahead = 2)
    {
        _ready = new BlockingCollection<PreparedBatch>(ahead);
        _worker = Task.Factory.StartNew(() =>
        {
            try
            {
                for (int i = 0; i < count && !_stop.IsCancellationRequested; i++)
                {
                    var batch = prepare();
                    try { _ready.Add(batch, _stop.Token); }
                    catch (OperationCanceledException) { batch.Dispose(); }
                }
            }
            finally { _ready.CompleteAdding(); }
        }, TaskCreationOptions.LongRunning);
    }

    public PreparedBatch Next()
    {
        if (_ready.TryTake(out var batch, Timeout.Infinite)) return batch;
        _worker.GetAwaiter().GetResult(); // rethrows what stopped the worker
        throw new InvalidOperationException("no more prepared batches: more steps were taken than planned");
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _worker.Wait(); }
        catch (AggregateException) { } // a failure already surfaced through Next, or nobody needs the batch any more
        while (_ready.TryTake(out var left)) left.Dispose();
        _ready.Dispose();
        _stop.Dispose();
    }
}

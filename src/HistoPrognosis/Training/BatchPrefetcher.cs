using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using static TorchSharp.torch;

namespace HistoPrognosis.Training;

/// <summary>
/// One training batch ready for the step: augmented uint8 images (N×3×H×W, CPU) and their labels. Whoever holds it
/// owns <see cref="Images"/> outright (it belongs to no DisposeScope) and disposes it.
/// </summary>
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
/// <para>
/// Ownership across the two threads: each call of the producer runs inside a DisposeScope of the worker, so the
/// temporaries it leaves behind are freed there and then (never by the finalizer thread, never by a scope of the
/// consumer); the batch it returns is detached from every scope before it is queued, so nothing on the worker can
/// dispose it once it is handed over. From the queue on, the batch is the consumer's. <see cref="Dispose"/> cancels
/// and joins the worker before it returns and frees what is still queued, so whatever the producer reads (the
/// dataset's images) may be disposed as soon as the prefetcher is.
/// </para>
/// </summary>
internal sealed class BatchPrefetcher : IDisposable
{
    private static int _runningWorkers;

    private readonly BlockingCollection<PreparedBatch> _ready;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _worker;
    private volatile ExceptionDispatchInfo? _failure;
    private int _disposed;

    public BatchPrefetcher(Func<PreparedBatch> prepare, int count, int ahead = 2)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(ahead, 1);
        _ready = new BlockingCollection<PreparedBatch>(ahead);
        _worker = new Thread(() => Run(prepare, count)) { IsBackground = true, Name = "HistoPrognosis batch prefetch" };
        Interlocked.Increment(ref _runningWorkers);
        try { _worker.Start(); }
        catch
        {
            Interlocked.Decrement(ref _runningWorkers);
            _ready.Dispose();
            _stop.Dispose();
            throw;
        }
    }

    /// <summary>Prefetch workers of this process that have not ended yet (for tests: none may outlive its trainer).</summary>
    internal static int RunningWorkers => Volatile.Read(ref _runningWorkers);

    /// <summary>Whether this prefetcher's worker thread is still running.</summary>
    internal bool WorkerAlive => _worker.IsAlive;

    private void Run(Func<PreparedBatch> prepare, int count)
    {
        try
        {
            for (int i = 0; i < count && !_stop.IsCancellationRequested; i++)
            {
                PreparedBatch batch;
                using (NewDisposeScope())
                {
                    batch = prepare();
                    try
                    {
                        if (batch.Images.IsInvalid)
                            throw new InvalidOperationException("a prepared batch's images were disposed before the hand-over (made in a DisposeScope that has ended?)");
                        batch.Images.DetachFromDisposeScope(); // the consumer's from here on, whatever scope made it
                    }
                    catch
                    {
                        batch.Dispose();
                        throw;
                    }
                }
                try { _ready.Add(batch, _stop.Token); }
                catch { batch.Dispose(); throw; } // not queued (cancelled): still ours to free
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
        catch (Exception ex) { _failure = ExceptionDispatchInfo.Capture(ex); }
        finally
        {
            _ready.CompleteAdding();
            Interlocked.Decrement(ref _runningWorkers);
        }
    }

    /// <summary>The next batch, in drawing order; the caller owns it and disposes it.</summary>
    public PreparedBatch Next()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_ready.TryTake(out var batch, Timeout.Infinite)) return batch;
        _failure?.Throw(); // what stopped the worker, as itself
        throw new InvalidOperationException("no more prepared batches: more steps were taken than planned");
    }

    /// <summary>Stops the worker, waits until it has ended, and frees the batches nobody took.</summary>
    public void Dispose()
    {
        if (Thread.CurrentThread == _worker) throw new InvalidOperationException("a batch prefetcher cannot be disposed by its own producer");
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        _worker.Join(); // after this nothing reads the producer's sources and nothing is added to the queue
        while (_ready.TryTake(out var left)) left.Dispose();
        _ready.Dispose();
        _stop.Dispose();
        // A failure nobody asked for (the consumer stopped first) is dropped with the batches.
    }
}

using System.Collections.Concurrent;
using HistoPrognosis.Data;
using HistoPrognosis.Models;
using HistoPrognosis.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace HistoPrognosis.Tests.Training;

/// <summary>
/// Ownership of the batches the prefetch worker makes: each is the consumer's outright once handed over, nothing
/// the worker made outlives its batch, and no worker outlives its prefetcher (or the trainer that made it).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class BatchPrefetcherTests
{
    private static PatchDataset TinyDataset(int count = 10, int size = 32)
    {
        var pixels = new byte[count * 3 * size * size];
        new Random(7).NextBytes(pixels);
        return PatchDataset.FromTensor(tensor(pixels, [count, 3, size, size], dtype: ScalarType.Byte).DetachFromDisposeScope());
    }

    [Fact]
    public void DisposingMidStreamJoinsTheWorkerAndFreesEveryBatchItMade()
    {
        using var data = TinyDataset();
        var augmentation = AugmentationPlan.Parse("flips,hed:0.05");
        var taken = new Random(3);
        for (int round = 0; round < 200; round++)
        {
            var made = new ConcurrentQueue<PreparedBatch>();
            var sampler = new BatchSampler(data, 4, round);
            var rng = new Random(round + 1);
            var prefetcher = new BatchPrefetcher(() =>
            {
                var b = PatchClassifierTrainer.Prepare(data.Images, data.Labels, sampler, augmentation, rng);
                made.Enqueue(b);
                return b;
            }, count: 50, ahead: 2);
            int steps = taken.Next(4); // 0 to 3 of 50: the worker is mid-stream (blocked on the queue, or preparing)
            for (int s = 0; s < steps; s++)
            {
                using var scope = NewDisposeScope(); // the consumer's scope must not capture (or free) the batch
                using var batch = prefetcher.Next();
                Assert.False(batch.Images.IsInvalid);
                Assert.Equal(new long[] { 4, 3, 32, 32 }, batch.Images.shape);
                Assert.Equal(4, batch.Labels.Length);
            }
            if (round % 3 == 0) Thread.Yield();
            prefetcher.Dispose();
            Assert.False(prefetcher.WorkerAlive, $"round {round}: the worker still runs after Dispose");
            Assert.All(made, b => Assert.True(b.Images.IsInvalid, $"round {round}: a batch the worker made was not freed"));
            prefetcher.Dispose(); // twice is harmless
            Assert.Throws<ObjectDisposedException>(() => prefetcher.Next());
        }
        Assert.Equal(0, BatchPrefetcher.RunningWorkers);
        Assert.False(data.Images.IsInvalid);
    }

    [Fact]
    public void TheWorkerGivesTheSameBatchesAsPreparingThemInOrderOnOneThread()
    {
        using var data = TinyDataset();
        var augmentation = AugmentationPlan.Parse("flips,hed:0.05");
        var (syncSampler, syncRng) = (new BatchSampler(data, 4, 5), new Random(6));
        var (workerSampler, workerRng) = (new BatchSampler(data, 4, 5), new Random(6));
        using var prefetcher = new BatchPrefetcher(() => PatchClassifierTrainer.Prepare(data.Images, data.Labels, workerSampler, augmentation, workerRng), 7);
        for (int i = 0; i < 7; i++)
        {
            using var expected = PatchClassifierTrainer.Prepare(data.Images, data.Labels, syncSampler, augmentation, syncRng);
            using var actual = prefetcher.Next();
            using (NewDisposeScope()) Assert.True(expected.Images.equal(actual.Images).all().item<bool>(), $"batch {i} differs");
            Assert.Equal(expected.Labels, actual.Labels);
        }
    }

    [Fact]
    public void TheConsumerOwnsEachBatchAndTheWorkerFreesItsOwnTemporaries()
    {
        var temporaries = new ConcurrentQueue<Tensor>();
        int made = 0;
        using var prefetcher = new BatchPrefetcher(() =>
        {
            var value = ++made;
            using var fill = ((float)value).ToScalar();
            var temporary = full(4, 4, fill, dtype: ScalarType.Float32); // left to the scope around the producer
            temporaries.Enqueue(temporary);
            using var scope = NewDisposeScope();
            var images = temporary.add(temporary).MoveToOuterDisposeScope(); // lands in the worker's scope, not detached
            return new PreparedBatch(images, [value]);
        }, 3);
        var kept = new List<PreparedBatch>();
        using (NewDisposeScope())
            for (int i = 0; i < 3; i++) kept.Add(prefetcher.Next());
        Assert.All(kept, b => Assert.False(b.Images.IsInvalid)); // neither the worker's nor the consumer's scope freed them
        Assert.Equal([2f, 4f, 6f], kept.Select(b => b.Images[0, 0].item<float>()));
        Assert.All(temporaries, t => Assert.True(t.IsInvalid)); // freed on the worker, not left to the finalizer
        foreach (var b in kept) b.Dispose();
        Assert.All(kept, b => Assert.True(b.Images.IsInvalid));
    }

    [Fact]
    public void ABatchFreedBeforeTheHandOverIsAnErrorNotACrash()
    {
        using var prefetcher = new BatchPrefetcher(() =>
        {
            Tensor images;
            using (NewDisposeScope()) images = zeros(2, 2); // freed when its scope ends
            return new PreparedBatch(images, [0]);
        }, 2);
        Assert.Contains("disposed before the hand-over", Assert.Throws<InvalidOperationException>(() => prefetcher.Next()).Message);
    }

    [Fact]
    public void AFailedStepStopsTheWorkerBeforeTheTrainerReturns()
    {
        var table = PatchTable.Load(TestPaths.DemoLabels, requireLabel: true);
        var data = PatchDataset.Load(table.Subset(table.PatientIds.Take(3).ToList()).Patches, 32, PipelineLog.Silent);
        try
        {
            var config = new FinetuneConfig { ImageSize = 32, BatchSize = 4, HeadOnlySteps = 0, FullSteps = 40, Augment = "flips,hed:0.05" };
            using var model = new PatchClassifier(PretrainedWeights.CreateScratch(seed: 2));
            var options = new TrainingOptions { Evaluate = _ => throw new InvalidDataException("evaluation failed"), EvaluateAtSteps = new HashSet<int> { 1 } };
            var error = Assert.Throws<InvalidDataException>(() =>
                new PatchClassifierTrainer(config, CPU, PipelineLog.Silent).Train(model, data, FinetunePolicy.Scratch, 9, options, "t"));
            Assert.Equal("evaluation failed", error.Message);
            Assert.Equal(0, BatchPrefetcher.RunningWorkers); // joined, not still drawing batches 2..40 from the dataset
        }
        finally
        {
            data.Dispose(); // at once: nothing reads it any more
        }
        Assert.True(data.Images.IsInvalid);
    }
}

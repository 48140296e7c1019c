using Microsoft.Extensions.AI;
using Rag.Core.Embeddings;

namespace Rag.Tests.Embeddings;

public class CachingEmbeddingGeneratorTests
{
    [Fact]
    public async Task MissesGoToTheInnerGeneratorInOneBatchAndAreStored()
    {
        var cache = new RecordingEmbeddingCache();
        var inner = new RecordingGenerator(new OfflineEmbeddingGenerator());
        using var generator = new CachingEmbeddingGenerator(inner, cache);

        var result = await generator.GenerateAsync(["alpha", "beta", "gamma"]);

        Assert.Equal([["alpha", "beta", "gamma"]], inner.Batches);
        Assert.Equal(3, cache.Entries.Count);
        await AssertSameAsUncachedAsync(["alpha", "beta", "gamma"], result);
    }

    [Fact]
    public async Task OnlyTheMissesAreGeneratedAndTheInputOrderIsKept()
    {
        var cache = new RecordingEmbeddingCache();
        var inner = new RecordingGenerator(new OfflineEmbeddingGenerator());
        using var generator = new CachingEmbeddingGenerator(inner, cache);
        await generator.GenerateAsync(["beta", "delta"]);

        var result = await generator.GenerateAsync(["alpha", "beta", "gamma", "delta", "epsilon"]);

        Assert.Equal(["alpha", "gamma", "epsilon"], inner.Batches[^1]);
        Assert.Equal(5, cache.Entries.Count);
        await AssertSameAsUncachedAsync(["alpha", "beta", "gamma", "delta", "epsilon"], result);
    }

    [Fact]
    public async Task AFullyCachedCallNeverReachesTheInnerGenerator()
    {
        var cache = new RecordingEmbeddingCache();
        var inner = new RecordingGenerator(new OfflineEmbeddingGenerator());
        using var generator = new CachingEmbeddingGenerator(inner, cache);
        await generator.GenerateAsync(["alpha", "beta"]);

        var result = await generator.GenerateAsync(["beta", "alpha"]);

        Assert.Single(inner.Batches);
        await AssertSameAsUncachedAsync(["beta", "alpha"], result);
        Assert.All(result, embedding => Assert.Equal(OfflineEmbeddingGenerator.ModelId, embedding.ModelId));
    }

    [Fact]
    public async Task RepeatedTextsInOneCallAreGeneratedOnce()
    {
        var cache = new RecordingEmbeddingCache();
        var inner = new RecordingGenerator(new OfflineEmbeddingGenerator());
        using var generator = new CachingEmbeddingGenerator(inner, cache);

        var result = await generator.GenerateAsync(["same", "other", "same"]);

        Assert.Equal([["same", "other"]], inner.Batches);
        await AssertSameAsUncachedAsync(["same", "other", "same"], result);
    }

    [Fact]
    public async Task EntriesOfAnotherModelOrDimensionAreNotReused()
    {
        var cache = new RecordingEmbeddingCache();
        using var small = new CachingEmbeddingGenerator(new OfflineEmbeddingGenerator(dimensions: 64), cache);
        using var large = new CachingEmbeddingGenerator(new OfflineEmbeddingGenerator(dimensions: 128), cache);

        var fromSmall = await small.GenerateVectorAsync("text");
        var fromLarge = await large.GenerateVectorAsync("text");

        Assert.Equal(64, fromSmall.Length);
        Assert.Equal(128, fromLarge.Length);
        Assert.Equal(2, cache.Entries.Count);
        Assert.All(cache.Entries.Keys, key => Assert.StartsWith(OfflineEmbeddingGenerator.ModelId + ":", key, StringComparison.Ordinal));
        Assert.DoesNotContain(cache.Entries.Keys, key => key.Contains("text", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CancellationReachesTheCache()
    {
        var cache = new RecordingEmbeddingCache();
        using var generator = new CachingEmbeddingGenerator(new OfflineEmbeddingGenerator(), cache);
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => generator.GenerateAsync(["text"], cancellationToken: cancellation.Token));
    }

    private static async Task AssertSameAsUncachedAsync(string[] texts, GeneratedEmbeddings<Embedding<float>> result)
    {
        using var reference = new OfflineEmbeddingGenerator();
        var expected = await reference.GenerateAsync(texts);
        Assert.Equal(expected.Count, result.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Vector.ToArray(), result[i].Vector.ToArray());
        }
    }

    /// <summary>A cache's storage as a dictionary, values kept in the binary format a real store would hold.</summary>
    private sealed class RecordingEmbeddingCache : IEmbeddingCache
    {
        public Dictionary<string, byte[]> Entries { get; } = new(StringComparer.Ordinal);

        public Task<IReadOnlyList<ReadOnlyMemory<float>?>> GetManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            IReadOnlyList<ReadOnlyMemory<float>?> found = keys
                .Select(key => Entries.TryGetValue(key, out var bytes) ? new ReadOnlyMemory<float>(EmbeddingVectorFormat.Decode(bytes)) : (ReadOnlyMemory<float>?)null)
                .ToList();
            return Task.FromResult(found);
        }

        public Task SetManyAsync(IReadOnlyList<KeyValuePair<string, ReadOnlyMemory<float>>> entries, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var (key, vector) in entries)
            {
                Entries[key] = EmbeddingVectorFormat.Encode(vector.Span);
            }

            return Task.CompletedTask;
        }
    }

    private sealed class RecordingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner)
        : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
    {
        public List<string[]> Batches { get; } = [];

        public override Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
            IEnumerable<string> values,
            EmbeddingGenerationOptions? options = null,
            CancellationToken cancellationToken = default)
        {
            var batch = values.ToArray();
            Batches.Add(batch);
            return base.GenerateAsync(batch, options, cancellationToken);
        }
    }
}

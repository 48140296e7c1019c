using Rag.Core.VectorIndex;
using Rag.Core.VectorIndex.InProcess;

namespace Rag.Tests.VectorIndex;

public sealed class InProcessVectorIndexTests : VectorIndexBehaviourTests
{
    protected override Task<IVectorIndex> CreateIndexAsync() => Task.FromResult<IVectorIndex>(new InProcessVectorIndex());

    [Fact]
    public async Task ASearchNeverSeesTwoVersionsOfADocumentMixed()
    {
        using var index = new InProcessVectorIndex();
        await index.EnsureCreatedAsync(Model, Dimension);
        var random = new Random(20);
        var documentId = Guid.NewGuid();
        var versions = Enumerable.Range(1, 200)
            .Select(version => CreateDocument(documentId, version, count: 8, Guid.NewGuid(), [], random))
            .ToList();
        var versionOfChunk = versions
            .SelectMany((points, version) => points.Select(point => (point.ChunkId, version)))
            .ToDictionary(pair => pair.ChunkId, pair => pair.version);

        var writer = Task.Run(async () =>
        {
            foreach (var version in versions)
            {
                await index.ReplaceDocumentAsync(documentId, version);
            }
        });
        var searchers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            var query = RandomVector(new Random(21));
            for (var i = 0; i < 50 || !writer.IsCompleted; i++)
            {
                var matches = await index.SearchAsync(query, 20, VectorFilter.None);
                Assert.True(matches.Count is 0 or 8, $"Expected one whole version of 8 points, found {matches.Count}.");
                Assert.Single(matches.Select(match => versionOfChunk[match.ChunkId]).Distinct().DefaultIfEmpty());
            }
        })).ToList();

        await Task.WhenAll([writer, .. searchers]).WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task ManySimultaneousSearchesWithDifferentFiltersEachGetTheirOwnExactAnswer()
    {
        using var index = new InProcessVectorIndex();
        await index.EnsureCreatedAsync(Model, Dimension);
        var random = new Random(27);
        var points = await AddCorpusAsync(index, random);
        var collectionId = points[^1].CollectionId;
        var searches = Enumerable.Range(0, 40)
            .Select(i => (Query: RandomVector(random), Limit: 1 + (i % 9), Filter: (i % 3) switch
            {
                0 => VectorFilter.None,
                1 => new VectorFilter(CollectionIds: [collectionId]),
                _ => new VectorFilter(Tags: ["green"]),
            }))
            .ToList();

        var results = await Task.WhenAll(searches.Select(search => Task.Run(() => index.SearchAsync(search.Query, search.Limit, search.Filter))))
            .WaitAsync(TimeSpan.FromSeconds(30));

        for (var i = 0; i < searches.Count; i++)
        {
            var (query, limit, filter) = searches[i];
            var candidates = points.Where(point =>
                (filter.CollectionIds?.Contains(point.CollectionId) ?? true) && (filter.Tags?.Any(point.Tags.Contains) ?? true)).ToList();
            AssertMatchesBruteForce(candidates, query, limit, results[i]);
        }
    }

    // A scan reads each point's collection as an ordinal kept beside its slot: deletes move the last point into the
    // freed slot, and searches answered in one batch mix filters that admit everything, some or nothing.
    [Fact]
    public async Task CollectionFiltersFollowPointsMovedByDeletesAndMixInOneBatch()
    {
        using var index = new InProcessVectorIndex();
        await index.EnsureCreatedAsync(Model, Dimension);
        var random = new Random(28);
        var collections = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).ToArray();
        var documents = Enumerable.Range(0, 24)
            .Select(d => CreateDocument(Guid.NewGuid(), 1, 10, collections[d % 3], [d % 2 == 0 ? "even" : "odd"], random))
            .ToList();
        foreach (var document in documents)
        {
            await index.ReplaceDocumentAsync(document[0].DocumentId, document);
        }

        foreach (var document in documents.Where((_, d) => d % 4 == 1))
        {
            await index.DeleteDocumentAsync(document[0].DocumentId);
        }

        var remaining = documents.Where((_, d) => d % 4 != 1).SelectMany(document => document).ToList();
        VectorFilter[] filters =
        [
            VectorFilter.None,
            new(CollectionIds: collections),
            new(CollectionIds: [collections[1]]),
            new(CollectionIds: [collections[0], collections[2]]),
            new(CollectionIds: [Guid.NewGuid()]),
            new(CollectionIds: [collections[2]], Tags: ["odd"]),
            new(Tags: ["even"]),
        ];
        var searches = Enumerable.Range(0, 28).Select(i => (Query: RandomVector(random), Filter: filters[i % filters.Length])).ToList();

        var results = await Task.WhenAll(searches.Select(search => Task.Run(() => index.SearchAsync(search.Query, 300, search.Filter))))
            .WaitAsync(TimeSpan.FromSeconds(30));

        for (var i = 0; i < searches.Count; i++)
        {
            var (query, filter) = searches[i];
            var candidates = remaining.Where(point =>
                (filter.CollectionIds?.Contains(point.CollectionId) ?? true) && (filter.Tags?.Any(point.Tags.Contains) ?? true)).ToList();
            AssertMatchesBruteForce(candidates, query, 300, results[i]);
        }
    }

    [Fact]
    public async Task ACancelledSearchIsCancelled()
    {
        using var index = new InProcessVectorIndex();
        await index.EnsureCreatedAsync(Model, Dimension);
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => index.SearchAsync(RandomVector(new Random(28)), 3, VectorFilter.None, cancellation.Token));
    }

    [Fact]
    public async Task ASearchAfterDisposeFailsInsteadOfHanging()
    {
        var index = new InProcessVectorIndex();
        await index.EnsureCreatedAsync(Model, Dimension);
        index.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(
            () => index.SearchAsync(RandomVector(new Random(29)), 3, VectorFilter.None).WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task APointOfTheWrongDimensionIsRefusedAndNothingOfItsDocumentIsWritten()
    {
        using var index = new InProcessVectorIndex();
        await index.EnsureCreatedAsync(Model, Dimension);
        var documentId = Guid.NewGuid();
        var points = CreateDocument(documentId, version: 1, count: 3, Guid.NewGuid(), [], new Random(22));
        points.Add(points[0] with { ChunkId = Guid.NewGuid(), Vector = new float[Dimension + 1] });

        await Assert.ThrowsAsync<VectorIndexMismatchException>(() => index.ReplaceDocumentAsync(documentId, points));

        Assert.Equal(0, await index.CountAsync());
    }

    [Fact]
    public async Task AQueryOfTheWrongDimensionIsRefused()
    {
        using var index = new InProcessVectorIndex();
        await index.EnsureCreatedAsync(Model, Dimension);

        await Assert.ThrowsAsync<VectorIndexMismatchException>(() => index.SearchAsync(new float[Dimension - 1], 3, VectorFilter.None));
    }

    [Fact]
    public async Task WritingBeforeEnsureCreatedFails()
    {
        using var index = new InProcessVectorIndex();
        var documentId = Guid.NewGuid();

        await Assert.ThrowsAsync<InvalidOperationException>(
            () => index.ReplaceDocumentAsync(documentId, CreateDocument(documentId, 1, 1, Guid.NewGuid(), [], new Random(23))));
    }

    [Fact]
    public async Task LoadReplacesTheWholeContentsAndIsDescribed()
    {
        using var index = new InProcessVectorIndex();
        await index.EnsureCreatedAsync("old-model", Dimension);
        var old = Guid.NewGuid();
        await index.ReplaceDocumentAsync(old, CreateDocument(old, 1, 5, Guid.NewGuid(), [], new Random(24)));
        var random = new Random(25);
        var loaded = Enumerable.Range(0, 3)
            .SelectMany(_ => CreateDocument(Guid.NewGuid(), 1, 40, Guid.NewGuid(), ["t"], random))
            .ToList();

        var count = await index.LoadAsync(Model, Dimension, loaded.ToAsyncEnumerable());

        Assert.Equal(loaded.Count, count);
        Assert.Equal(new VectorIndexDescription(InProcessVectorIndex.Kind, Model, Dimension, loaded.Count), index.Describe());
        var query = RandomVector(random);
        AssertMatchesBruteForce(loaded, query, 10, await index.SearchAsync(query, 10, VectorFilter.None));
    }

    [Fact]
    public async Task ASearchBeforeTheLoadIsRefusedRatherThanAnsweredEmpty()
    {
        using var index = new InProcessVectorIndex();

        await Assert.ThrowsAsync<VectorIndexNotReadyException>(() => index.SearchAsync(RandomVector(new Random(30)), 5, VectorFilter.None));

        await index.LoadAsync(Model, Dimension, AsyncEnumerable.Empty<VectorPoint>());
        Assert.Empty(await index.SearchAsync(RandomVector(new Random(30)), 5, VectorFilter.None));
    }

    [Fact]
    public async Task EnsureCreatedMayChangeModelWhileTheIndexIsEmpty()
    {
        using var index = new InProcessVectorIndex();
        await index.EnsureCreatedAsync("old-model", Dimension * 2);

        await index.EnsureCreatedAsync(Model, Dimension);

        Assert.Equal(new VectorIndexDescription(InProcessVectorIndex.Kind, Model, Dimension, 0), index.Describe());
    }

    [Fact]
    public async Task GrowsPastItsInitialCapacityAndShrinksOnDelete()
    {
        using var index = new InProcessVectorIndex();
        await index.EnsureCreatedAsync(Model, Dimension);
        var random = new Random(26);
        var documents = Enumerable.Range(0, 30).Select(_ => CreateDocument(Guid.NewGuid(), 1, 100, Guid.NewGuid(), [], random)).ToList();
        foreach (var document in documents)
        {
            await index.ReplaceDocumentAsync(document[0].DocumentId, document);
        }

        foreach (var document in documents.Where((_, i) => i % 2 == 0))
        {
            await index.DeleteDocumentAsync(document[0].DocumentId);
        }

        var remaining = documents.Where((_, i) => i % 2 == 1).SelectMany(document => document).ToList();
        Assert.Equal(remaining.Count, await index.CountAsync());
        var query = RandomVector(random);
        AssertMatchesBruteForce(remaining, query, 25, await index.SearchAsync(query, 25, VectorFilter.None));
    }
}

using Rag.Core.Chunking;
using Rag.Core.VectorIndex;

namespace Rag.Tests.VectorIndex;

/// <summary>
/// What every <see cref="IVectorIndex"/> must do, written against the interface only. Subclasses supply a
/// fresh, empty index per test. Expected results come from a brute-force cosine computation here.
/// </summary>
public abstract class VectorIndexBehaviourTests
{
    protected const string Model = "behaviour-test-model";
    protected const int Dimension = 16;
    private const float ScoreTolerance = 1e-4f;

    private static readonly Guid CollectionA = new("0a0a0a0a-0000-4000-8000-000000000001");
    private static readonly Guid CollectionB = new("0b0b0b0b-0000-4000-8000-000000000002");

    protected abstract Task<IVectorIndex> CreateIndexAsync();

    [Fact]
    public async Task EmptyIndexFindsNothingAndCountsZero()
    {
        var index = await CreateCreatedIndexAsync();

        Assert.Empty(await index.SearchAsync(RandomVector(new Random(1)), 5, VectorFilter.None));
        Assert.Equal(0, await index.CountAsync());
    }

    [Fact]
    public async Task SearchReturnsNearestFirstWithCosineScores()
    {
        var index = await CreateCreatedIndexAsync();
        var points = await AddCorpusAsync(index, new Random(2));
        var query = RandomVector(new Random(3));

        var matches = await index.SearchAsync(query, 7, VectorFilter.None);

        AssertMatchesBruteForce(points, query, 7, matches);
    }

    [Fact]
    public async Task CountCountsEveryPoint()
    {
        var index = await CreateCreatedIndexAsync();
        var points = await AddCorpusAsync(index, new Random(4));

        Assert.Equal(points.Count, await index.CountAsync());
    }

    [Fact]
    public async Task ReplacingADocumentWithANewVersionRemovesItsOldPoints()
    {
        var index = await CreateCreatedIndexAsync();
        var random = new Random(5);
        var documentId = Guid.NewGuid();
        var other = CreateDocument(Guid.NewGuid(), version: 1, count: 4, CollectionA, ["other"], random);
        await index.ReplaceDocumentAsync(other[0].DocumentId, other);
        await index.ReplaceDocumentAsync(documentId, CreateDocument(documentId, version: 1, count: 6, CollectionA, [], random));

        var secondVersion = CreateDocument(documentId, version: 2, count: 3, CollectionA, [], random);
        await index.ReplaceDocumentAsync(documentId, secondVersion);

        Assert.Equal(other.Count + secondVersion.Count, await index.CountAsync());
        var found = await index.SearchAsync(RandomVector(random), 50, new VectorFilter(DocumentIds: [documentId]));
        Assert.Equal(
            secondVersion.Select(point => point.ChunkId).Order(),
            found.Select(match => match.ChunkId).Order());
    }

    [Fact]
    public async Task ReplacingADocumentTwiceWithTheSamePointsChangesNothing()
    {
        var index = await CreateCreatedIndexAsync();
        var random = new Random(6);
        var documentId = Guid.NewGuid();
        var points = CreateDocument(documentId, version: 1, count: 5, CollectionA, [], random);

        await index.ReplaceDocumentAsync(documentId, points);
        await index.ReplaceDocumentAsync(documentId, points);

        Assert.Equal(points.Count, await index.CountAsync());
        var query = RandomVector(random);
        AssertMatchesBruteForce(points, query, 5, await index.SearchAsync(query, 5, VectorFilter.None));
    }

    [Fact]
    public async Task SearchFiltersByCollection()
    {
        var index = await CreateCreatedIndexAsync();
        var points = await AddCorpusAsync(index, new Random(7));
        var query = RandomVector(new Random(8));

        var matches = await index.SearchAsync(query, 100, new VectorFilter(CollectionIds: [CollectionB]));

        AssertMatchesBruteForce(points.Where(point => point.CollectionId == CollectionB).ToList(), query, 100, matches);
    }

    [Fact]
    public async Task SearchFiltersByDocuments()
    {
        var index = await CreateCreatedIndexAsync();
        var points = await AddCorpusAsync(index, new Random(9));
        var documentIds = points.Select(point => point.DocumentId).Distinct().Take(2).ToList();
        var query = RandomVector(new Random(10));

        var matches = await index.SearchAsync(query, 4, new VectorFilter(DocumentIds: documentIds));

        AssertMatchesBruteForce(points.Where(point => documentIds.Contains(point.DocumentId)).ToList(), query, 4, matches);
    }

    [Fact]
    public async Task SearchFiltersByAnyOfTheTags()
    {
        var index = await CreateCreatedIndexAsync();
        var points = await AddCorpusAsync(index, new Random(11));
        var query = RandomVector(new Random(12));

        var matches = await index.SearchAsync(query, 100, new VectorFilter(Tags: ["red", "blue"]));

        AssertMatchesBruteForce(points.Where(point => point.Tags.Contains("red") || point.Tags.Contains("blue")).ToList(), query, 100, matches);
    }

    [Fact]
    public async Task SearchCombinesFiltersWithAnd()
    {
        var index = await CreateCreatedIndexAsync();
        var points = await AddCorpusAsync(index, new Random(13));
        var query = RandomVector(new Random(14));

        var matches = await index.SearchAsync(query, 100, new VectorFilter(CollectionIds: [CollectionA], Tags: ["green"]));

        var expected = points.Where(point => point.CollectionId == CollectionA && point.Tags.Contains("green")).ToList();
        Assert.NotEmpty(expected);
        AssertMatchesBruteForce(expected, query, 100, matches);
    }

    [Fact]
    public async Task DeletingADocumentRemovesOnlyItsPoints()
    {
        var index = await CreateCreatedIndexAsync();
        var points = await AddCorpusAsync(index, new Random(15));
        var deleted = points[0].DocumentId;

        await index.DeleteDocumentAsync(deleted);

        var remaining = points.Where(point => point.DocumentId != deleted).ToList();
        Assert.Equal(remaining.Count, await index.CountAsync());
        var query = RandomVector(new Random(16));
        AssertMatchesBruteForce(remaining, query, 100, await index.SearchAsync(query, 100, VectorFilter.None));
    }

    [Fact]
    public async Task DeletingAnUnknownDocumentIsHarmless()
    {
        var index = await CreateCreatedIndexAsync();
        var points = await AddCorpusAsync(index, new Random(17));

        await index.DeleteDocumentAsync(Guid.NewGuid());

        Assert.Equal(points.Count, await index.CountAsync());
    }

    [Fact]
    public async Task EnsureCreatedRefusesAnotherModelOrDimensionOnceItHoldsVectors()
    {
        var index = await CreateCreatedIndexAsync();
        await AddCorpusAsync(index, new Random(18));

        await index.EnsureCreatedAsync(Model, Dimension);
        await Assert.ThrowsAsync<VectorIndexMismatchException>(() => index.EnsureCreatedAsync("another-model", Dimension));
        await Assert.ThrowsAsync<VectorIndexMismatchException>(() => index.EnsureCreatedAsync(Model, Dimension * 2));
    }

    [Fact]
    public async Task ResetEmptiesTheIndexAndAcceptsAnotherModelAndDimension()
    {
        var index = await CreateCreatedIndexAsync();
        await AddCorpusAsync(index, new Random(20));

        await index.ResetAsync("another-model", Dimension * 2);

        Assert.Equal(0, await index.CountAsync());
        Assert.Equal("another-model", index.Describe().Model);
        var documentId = Guid.NewGuid();
        var wide = new VectorPoint(ChunkIds.Create(documentId, 1, 0), documentId, CollectionA, [], Enumerable.Range(1, Dimension * 2).Select(i => (float)i).ToArray());
        await index.ReplaceDocumentAsync(documentId, [wide]);
        Assert.Equal(wide.ChunkId, Assert.Single(await index.SearchAsync(wide.Vector, 5, VectorFilter.None)).ChunkId);
        await Assert.ThrowsAsync<VectorIndexMismatchException>(() => index.EnsureCreatedAsync(Model, Dimension));
    }

    [Fact]
    public async Task ConcurrentSearchesDuringWritesStayConsistent()
    {
        var index = await CreateCreatedIndexAsync();
        var random = new Random(19);
        var stable = await AddCorpusAsync(index, random);
        var churnDocument = Guid.NewGuid();
        var versions = Enumerable.Range(1, 30)
            .Select(version => CreateDocument(churnDocument, version, count: 1 + (version % 5), CollectionB, ["churn"], random))
            .ToList();
        var everyChurnChunk = versions.SelectMany(version => version).Select(point => point.ChunkId).ToHashSet();
        var queries = Enumerable.Range(0, 8).Select(_ => RandomVector(random)).ToList();

        var writer = Task.Run(async () =>
        {
            foreach (var version in versions)
            {
                await index.ReplaceDocumentAsync(churnDocument, version);
            }
        });
        var searchers = Enumerable.Range(0, 4).Select(searcher => Task.Run(async () =>
        {
            for (var i = 0; i < 40; i++)
            {
                var query = queries[(searcher + i) % queries.Count];
                var stableOnly = await index.SearchAsync(query, 5, new VectorFilter(Tags: ["red", "blue", "green"]));
                AssertMatchesBruteForce(stable, query, 5, stableOnly);

                var all = await index.SearchAsync(query, 10, VectorFilter.None);
                AssertOrderedDistinct(all, 10);
                Assert.All(all, match => Assert.True(
                    match.DocumentId == churnDocument ? everyChurnChunk.Contains(match.ChunkId) : stable.Any(point => point.ChunkId == match.ChunkId),
                    $"Search returned chunk {match.ChunkId} that was never written."));
            }
        })).ToList();

        await Task.WhenAll([writer, .. searchers]).WaitAsync(TimeSpan.FromSeconds(30));

        var found = await index.SearchAsync(queries[0], 50, new VectorFilter(DocumentIds: [churnDocument]));
        Assert.Equal(versions[^1].Select(point => point.ChunkId).Order(), found.Select(match => match.ChunkId).Order());
    }

    protected async Task<IVectorIndex> CreateCreatedIndexAsync()
    {
        var index = await CreateIndexAsync();
        await index.EnsureCreatedAsync(Model, Dimension);
        return index;
    }

    /// <summary>Four documents over two collections, tagged so that every tag filter has something to find and something to exclude.</summary>
    protected static async Task<List<VectorPoint>> AddCorpusAsync(IVectorIndex index, Random random)
    {
        var documents = new[]
        {
            CreateDocument(Guid.NewGuid(), version: 1, count: 6, CollectionA, ["red"], random),
            CreateDocument(Guid.NewGuid(), version: 1, count: 5, CollectionA, ["green", "blue"], random),
            CreateDocument(Guid.NewGuid(), version: 1, count: 7, CollectionB, ["blue"], random),
            CreateDocument(Guid.NewGuid(), version: 3, count: 4, CollectionB, ["green"], random),
        };
        foreach (var document in documents)
        {
            await index.ReplaceDocumentAsync(document[0].DocumentId, document);
        }

        return documents.SelectMany(document => document).ToList();
    }

    protected static List<VectorPoint> CreateDocument(Guid documentId, int version, int count, Guid collectionId, string[] tags, Random random) =>
        Enumerable.Range(0, count)
            .Select(ordinal => new VectorPoint(ChunkIds.Create(documentId, version, ordinal), documentId, collectionId, tags, RandomVector(random)))
            .ToList();

    /// <summary>Not normalised on purpose: scaled by a random length, so the index must compute cosines, not raw dot products.</summary>
    protected static float[] RandomVector(Random random)
    {
        var scale = 0.5f + (random.NextSingle() * 4);
        return Enumerable.Range(0, Dimension).Select(_ => ((random.NextSingle() * 2) - 1) * scale).ToArray();
    }

    protected static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, normA = 0, normB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * (double)b[i];
            normA += a[i] * (double)a[i];
            normB += b[i] * (double)b[i];
        }

        return (float)(dot / Math.Sqrt(normA * normB));
    }

    protected static void AssertMatchesBruteForce(IReadOnlyList<VectorPoint> candidates, float[] query, int limit, IReadOnlyList<VectorMatch> matches)
    {
        var expected = candidates
            .Select(point => (point.ChunkId, point.DocumentId, Score: Cosine(query, point.Vector.Span)))
            .OrderByDescending(candidate => candidate.Score)
            .Take(limit)
            .ToList();

        Assert.Equal(expected.Count, matches.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].ChunkId, matches[i].ChunkId);
            Assert.Equal(expected[i].DocumentId, matches[i].DocumentId);
            Assert.InRange(matches[i].Score, expected[i].Score - ScoreTolerance, expected[i].Score + ScoreTolerance);
        }
    }

    private static void AssertOrderedDistinct(IReadOnlyList<VectorMatch> matches, int limit)
    {
        Assert.InRange(matches.Count, 0, limit);
        Assert.Equal(matches.Count, matches.Select(match => match.ChunkId).Distinct().Count());
        for (var i = 1; i < matches.Count; i++)
        {
            Assert.True(matches[i - 1].Score >= matches[i].Score, "Matches must come best first.");
        }
    }
}

using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Rag.Core.VectorIndex;
using Rag.Core.VectorIndex.Qdrant;

namespace Rag.Tests.VectorIndex.Qdrant;

// Every test gets its own Qdrant double and ends by checking that nothing either side sent broke Qdrant's contract.
public sealed class QdrantVectorIndexTests : IAsyncLifetime
{
    private const string Model = "text-embedding-3-small";
    private const int Dimension = 8;
    private static readonly string[] TagPool = ["alpha", "beta", "gamma", "delta"];

    private readonly QdrantDoubleFixture _fixture = new();

    private QdrantDouble Qdrant => _fixture.Qdrant;

    public Task InitializeAsync() => _fixture.InitializeAsync();

    public Task DisposeAsync() => _fixture.DisposeAsync();

    [Fact]
    public async Task EnsureCreatedMakesACosineCollectionRecordingTheModelWithPayloadIndexes()
    {
        var host = await _fixture.StartHostAsync();
        var index = host.Services.GetRequiredService<IVectorIndex>();

        await index.EnsureCreatedAsync(Model, Dimension, Timeout());
        await index.EnsureCreatedAsync(Model, Dimension, Timeout());

        var config = await CollectionInfoAsync(host);
        Assert.Equal(Dimension, config.GetProperty("config").GetProperty("params").GetProperty("vectors").GetProperty("size").GetInt32());
        Assert.Equal("Cosine", config.GetProperty("config").GetProperty("params").GetProperty("vectors").GetProperty("distance").GetString());
        Assert.Equal(Model, config.GetProperty("config").GetProperty("metadata").GetProperty("rag_embedding_model").GetString());
        var payloadSchema = config.GetProperty("payload_schema");
        Assert.Equal("uuid", payloadSchema.GetProperty("collection_id").GetProperty("data_type").GetString());
        Assert.Equal("uuid", payloadSchema.GetProperty("document_id").GetProperty("data_type").GetString());
        Assert.Equal("keyword", payloadSchema.GetProperty("tags").GetProperty("data_type").GetString());
        Assert.Single(Qdrant.Requests, r => r.OperationId == "create_collection");
        Assert.Equal(3, Qdrant.Requests.Count(r => r.OperationId == "create_field_index"));
        Assert.Equal(new VectorIndexDescription("qdrant", Model, Dimension), index.Describe());
        AssertContractKept();
    }

    [Fact]
    public async Task ReplaceDocumentUpsertsInBatchesAndStoresThePayloadUsedForFiltering()
    {
        var host = await _fixture.StartHostAsync(new Dictionary<string, string?> { ["Qdrant:UpsertBatchSize"] = "2" });
        var index = host.Services.GetRequiredService<IVectorIndex>();
        await index.EnsureCreatedAsync(Model, Dimension, Timeout());
        var collectionId = Guid.NewGuid();
        var documentId = Guid.NewGuid();
        var points = Enumerable.Range(0, 5).Select(i => Point(documentId, collectionId, new Random(i), ["alpha", "beta"])).ToList();

        await index.ReplaceDocumentAsync(documentId, points, Timeout());

        Assert.Equal(3, Qdrant.Requests.Count(r => r.OperationId == "upsert_points"));
        Assert.Equal(5, await index.CountAsync(Timeout()));
        var stored = Qdrant.PayloadsOf(QdrantDoubleFixture.CollectionOf(host));
        var payload = stored[points[0].ChunkId.ToString("D")];
        Assert.Equal(documentId.ToString("D"), payload["document_id"]!.GetValue<string>());
        Assert.Equal(collectionId.ToString("D"), payload["collection_id"]!.GetValue<string>());
        Assert.Equal(["alpha", "beta"], payload["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        AssertContractKept();
    }

    [Fact]
    public async Task ReplacingADocumentRemovesChunksTheNewVersionNoLongerHasAndLeavesOtherDocumentsAlone()
    {
        var index = await _fixture.CreateIndexAsync();
        await index.EnsureCreatedAsync(Model, Dimension, Timeout());
        var collectionId = Guid.NewGuid();
        var (documentId, otherDocumentId) = (Guid.NewGuid(), Guid.NewGuid());
        var version1 = Enumerable.Range(0, 4).Select(i => Point(documentId, collectionId, new Random(i))).ToList();
        var other = Enumerable.Range(10, 3).Select(i => Point(otherDocumentId, collectionId, new Random(i))).ToList();
        await index.ReplaceDocumentAsync(documentId, version1, Timeout());
        await index.ReplaceDocumentAsync(otherDocumentId, other, Timeout());

        // Version 2 keeps one chunk id, changes its vector, and adds a new chunk.
        var kept = version1[0] with { Vector = RandomVector(new Random(99)) };
        var added = Point(documentId, collectionId, new Random(100));
        await index.ReplaceDocumentAsync(documentId, [kept, added], Timeout());
        await index.ReplaceDocumentAsync(documentId, [kept, added], Timeout());

        Assert.Equal(2 + other.Count, await index.CountAsync(Timeout()));
        var onlyThisDocument = new VectorFilter(DocumentIds: [documentId]);
        var matches = await index.SearchAsync(kept.Vector, 10, onlyThisDocument, Timeout());
        Assert.Equal(new[] { kept.ChunkId, added.ChunkId }.Order(), matches.Select(m => m.ChunkId).Order());
        Assert.Equal(kept.ChunkId, matches[0].ChunkId);
        Assert.Equal(1f, matches[0].Score, 0.0001f);
        AssertContractKept();
    }

    [Fact]
    public async Task FilteredSearchEqualsABruteForceCosineRanking()
    {
        var index = await _fixture.CreateIndexAsync();
        await index.EnsureCreatedAsync(Model, Dimension, Timeout());
        var random = new Random(20261122);
        var collections = new[] { Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid() };
        var all = new List<VectorPoint>();
        for (var d = 0; d < 6; d++)
        {
            var documentId = Guid.NewGuid();
            var collectionId = collections[d % collections.Length];
            var points = Enumerable.Range(0, 5)
                .Select(_ => Point(documentId, collectionId, random, [.. TagPool.Where(_ => random.Next(2) == 0)]))
                .ToList();
            await index.ReplaceDocumentAsync(documentId, points, Timeout());
            all.AddRange(points);
        }

        var documents = all.Select(p => p.DocumentId).Distinct().ToList();
        VectorFilter[] filters =
        [
            VectorFilter.None,
            new(CollectionIds: [collections[0]]),
            new(DocumentIds: [documents[1], documents[4]]),
            new(Tags: ["alpha", "gamma"]),
            new(CollectionIds: [collections[1], collections[2]], Tags: ["beta"]),
            new(CollectionIds: [collections[0]], DocumentIds: [documents[0], documents[1]], Tags: ["delta"]),
        ];

        foreach (var filter in filters)
        {
            var query = RandomVector(random);
            var expected = all
                .Where(p => filter.CollectionIds is null || filter.CollectionIds.Contains(p.CollectionId))
                .Where(p => filter.DocumentIds is null || filter.DocumentIds.Contains(p.DocumentId))
                .Where(p => filter.Tags is null || p.Tags.Any(filter.Tags.Contains))
                .Select(p => (p.ChunkId, p.DocumentId, Score: CosineSimilarity(query.Span, p.Vector.Span)))
                .OrderByDescending(x => x.Score)
                .Take(7)
                .ToList();

            var actual = await index.SearchAsync(query, 7, filter, Timeout());

            Assert.Equal(expected.Select(e => e.ChunkId), actual.Select(a => a.ChunkId));
            Assert.Equal(expected.Select(e => e.DocumentId), actual.Select(a => a.DocumentId));
            Assert.All(expected.Zip(actual), pair => Assert.Equal(pair.First.Score, pair.Second.Score, 0.0001));
        }

        Assert.Empty(await index.SearchAsync(RandomVector(random), 5, new VectorFilter(Tags: []), Timeout()));
        AssertContractKept();
    }

    [Fact]
    public async Task DeleteDocumentRemovesOnlyThatDocumentsPoints()
    {
        var index = await _fixture.CreateIndexAsync();
        await index.EnsureCreatedAsync(Model, Dimension, Timeout());
        var collectionId = Guid.NewGuid();
        var (gone, staying) = (Guid.NewGuid(), Guid.NewGuid());
        await index.ReplaceDocumentAsync(gone, [.. Enumerable.Range(0, 3).Select(i => Point(gone, collectionId, new Random(i)))], Timeout());
        await index.ReplaceDocumentAsync(staying, [.. Enumerable.Range(5, 2).Select(i => Point(staying, collectionId, new Random(i)))], Timeout());
        Assert.Equal(5, await index.CountAsync(Timeout()));

        await index.DeleteDocumentAsync(gone, Timeout());
        await index.DeleteDocumentAsync(gone, Timeout());

        Assert.Equal(2, await index.CountAsync(Timeout()));
        var left = await index.SearchAsync(RandomVector(new Random(1)), 10, VectorFilter.None, Timeout());
        Assert.All(left, m => Assert.Equal(staying, m.DocumentId));
        AssertContractKept();
    }

    [Fact]
    public async Task ACollectionNotCreatedYetReadsAsEmptyButRefusesWrites()
    {
        var index = await _fixture.CreateIndexAsync();
        var documentId = Guid.NewGuid();

        Assert.Equal(0, await index.CountAsync(Timeout()));
        Assert.Empty(await index.SearchAsync(RandomVector(new Random(1)), 3, VectorFilter.None, Timeout()));
        await index.DeleteDocumentAsync(documentId, Timeout());
        var error = await Assert.ThrowsAsync<QdrantException>(
            () => index.ReplaceDocumentAsync(documentId, [Point(documentId, Guid.NewGuid(), new Random(2))], Timeout()));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Contains("doesn't exist", error.Message, StringComparison.Ordinal);
        AssertContractKept();
    }

    [Fact]
    public async Task AQueryOfTheWrongDimensionIsRefusedBeforeItIsSent()
    {
        var index = await _fixture.CreateIndexAsync();
        await index.EnsureCreatedAsync(Model, Dimension, Timeout());

        await Assert.ThrowsAsync<VectorIndexMismatchException>(
            () => index.SearchAsync(new float[Dimension + 1], 3, VectorFilter.None, Timeout()));

        Assert.DoesNotContain(Qdrant.Requests, r => r.OperationId == "query_points");
        AssertContractKept();
    }

    [Fact]
    public async Task AClientErrorSurfacesQdrantsMessageAndIsSentOnlyOnce()
    {
        // A collection made elsewhere with 3 dimensions; this index has not been told the dimension, so the
        // 4-dimension points reach Qdrant and Qdrant refuses them.
        var host = await _fixture.StartHostAsync();
        Qdrant.SeedCollection(QdrantDoubleFixture.CollectionOf(host), size: 3);
        var index = host.Services.GetRequiredService<IVectorIndex>();
        var documentId = Guid.NewGuid();
        var point = new VectorPoint(Guid.NewGuid(), documentId, Guid.NewGuid(), [], new float[] { 1, 2, 3, 4 });

        var error = await Assert.ThrowsAsync<QdrantException>(() => index.ReplaceDocumentAsync(documentId, [point], Timeout()));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.True(error.IsClientError);
        Assert.Equal("Wrong input: Vector dimension error: expected dim: 3, got 4", error.QdrantMessage);
        Assert.Contains(error.QdrantMessage, error.Message, StringComparison.Ordinal);
        Assert.Contains("/points", error.Message, StringComparison.Ordinal);
        Assert.Single(Qdrant.Requests, r => r.OperationId == "upsert_points");
        AssertContractKept();
    }

    [Fact]
    public async Task AWrongApiKeyIsRefusedWithAClearError()
    {
        var host = await _fixture.StartHostAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:qdrant_http"] = $"Endpoint={Qdrant.Endpoint};Key=wrong-key",
        });
        var index = host.Services.GetRequiredService<IVectorIndex>();

        var error = await Assert.ThrowsAsync<QdrantException>(() => index.CountAsync(Timeout()));

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Contains("API key", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-key", error.Message, StringComparison.Ordinal);
        Assert.Single(Qdrant.Requests);
        AssertContractKept();
    }

    [Fact]
    public async Task AnotherModelOrDimensionIsRefused()
    {
        var host = await _fixture.StartHostAsync();
        await host.Services.GetRequiredService<IVectorIndex>().EnsureCreatedAsync(Model, Dimension, Timeout());
        var sameCollection = new Dictionary<string, string?> { ["Qdrant:CollectionName"] = QdrantDoubleFixture.CollectionOf(host) };
        var later = (await _fixture.StartHostAsync(sameCollection)).Services.GetRequiredService<IVectorIndex>();

        var otherDimension = await Assert.ThrowsAsync<VectorIndexMismatchException>(() => later.EnsureCreatedAsync(Model, 16, Timeout()));
        var otherModel = await Assert.ThrowsAsync<VectorIndexMismatchException>(() => later.EnsureCreatedAsync("nomic-embed-text", Dimension, Timeout()));
        await later.EnsureCreatedAsync(Model, Dimension, Timeout());

        Assert.Contains("16", otherDimension.Message, StringComparison.Ordinal);
        Assert.Contains(Model, otherModel.Message, StringComparison.Ordinal);
        Assert.Contains("nomic-embed-text", otherModel.Message, StringComparison.Ordinal);
        Assert.Equal(new VectorIndexDescription("qdrant", Model, Dimension), later.Describe());
        await Assert.ThrowsAsync<VectorIndexMismatchException>(() => later.ReplaceDocumentAsync(
            Guid.Empty, [new VectorPoint(Guid.NewGuid(), Guid.Empty, Guid.NewGuid(), [], new float[3])], Timeout()));
        AssertContractKept();
    }

    [Fact]
    public async Task ACollectionMadeOutsideRagIsAdoptedWhileEmptyAndRefusedOnceItHoldsPoints()
    {
        var emptyHost = await _fixture.StartHostAsync();
        Qdrant.SeedCollection(QdrantDoubleFixture.CollectionOf(emptyHost), Dimension);
        await emptyHost.Services.GetRequiredService<IVectorIndex>().EnsureCreatedAsync(Model, Dimension, Timeout());
        var adopted = await CollectionInfoAsync(emptyHost);
        Assert.Equal(Model, adopted.GetProperty("config").GetProperty("metadata").GetProperty("rag_embedding_model").GetString());

        var filledHost = await _fixture.StartHostAsync();
        Qdrant.SeedCollection(QdrantDoubleFixture.CollectionOf(filledHost), Dimension);
        var filled = filledHost.Services.GetRequiredService<IVectorIndex>();
        var documentId = Guid.NewGuid();
        await filled.ReplaceDocumentAsync(documentId, [Point(documentId, Guid.NewGuid(), new Random(1))], Timeout());
        await Assert.ThrowsAsync<VectorIndexMismatchException>(() => filled.EnsureCreatedAsync(Model, Dimension, Timeout()));

        var euclidHost = await _fixture.StartHostAsync();
        Qdrant.SeedCollection(QdrantDoubleFixture.CollectionOf(euclidHost), Dimension, distance: "Euclid");
        await Assert.ThrowsAsync<VectorIndexMismatchException>(
            () => euclidHost.Services.GetRequiredService<IVectorIndex>().EnsureCreatedAsync(Model, Dimension, Timeout()));
        AssertContractKept();
    }

    [Fact]
    public async Task SnapshotsAreCreatedAndListed()
    {
        var host = await _fixture.StartHostAsync();
        var index = host.Services.GetRequiredService<IVectorIndex>();
        var snapshots = host.Services.GetRequiredService<IQdrantSnapshots>();
        await index.EnsureCreatedAsync(Model, Dimension, Timeout());
        var documentId = Guid.NewGuid();
        await index.ReplaceDocumentAsync(documentId, [Point(documentId, Guid.NewGuid(), new Random(3))], Timeout());

        var first = await snapshots.CreateSnapshotAsync(Timeout());
        var second = await snapshots.CreateSnapshotAsync(Timeout());
        var listed = await snapshots.ListSnapshotsAsync(Timeout());

        Assert.StartsWith(QdrantDoubleFixture.CollectionOf(host), first.Name, StringComparison.Ordinal);
        Assert.True(first.Size > 0);
        Assert.NotNull(first.CreatedAt);
        Assert.InRange(first.CreatedAt.Value, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
        Assert.Equal(new[] { first.Name, second.Name }.Order(), listed.Select(s => s.Name).Order());
        AssertContractKept();
    }

    [Fact]
    public async Task HealthCheckFollowsQdrantsReadiness()
    {
        var host = await _fixture.StartHostAsync();
        var health = host.Services.GetRequiredService<HealthCheckService>();

        var ready = await health.CheckHealthAsync(r => r.Name == "qdrant", Timeout());
        Qdrant.IsReady = false;
        var loading = await health.CheckHealthAsync(r => r.Name == "qdrant", Timeout());

        Assert.Equal(HealthStatus.Healthy, ready.Entries["qdrant"].Status);
        Assert.Equal(HealthStatus.Unhealthy, loading.Entries["qdrant"].Status);
        Assert.Contains("503", loading.Entries["qdrant"].Description, StringComparison.Ordinal);
        Assert.Equal(2, Qdrant.Requests.Count(r => r.OperationId == "readyz"));
        AssertContractKept();
    }

    [Fact]
    public async Task AnInvalidCollectionNameFailsAtStartup()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(
            () => _fixture.StartHostAsync(new Dictionary<string, string?> { ["Qdrant:CollectionName"] = "../other" }));

        Assert.Contains("CollectionName", error.Message, StringComparison.Ordinal);
    }

    private void AssertContractKept() => Assert.Empty(Qdrant.Violations);

    private async Task<JsonElement> CollectionInfoAsync(IHost host)
    {
        using var client = _fixture.CreateInspectionClient();
        using var document = JsonDocument.Parse(await client.GetStringAsync($"/collections/{QdrantDoubleFixture.CollectionOf(host)}", Timeout()));
        return document.RootElement.GetProperty("result").Clone();
    }

    private static VectorPoint Point(Guid documentId, Guid collectionId, Random random, IReadOnlyList<string>? tags = null) =>
        new(Guid.NewGuid(), documentId, collectionId, tags ?? [], RandomVector(random));

    private static ReadOnlyMemory<float> RandomVector(Random random) =>
        Enumerable.Range(0, Dimension).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

    private static double CosineSimilarity(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, normA = 0, normB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            normA += (double)a[i] * a[i];
            normB += (double)b[i] * b[i];
        }

        return dot / Math.Sqrt(normA * normB);
    }

    // Each call's own budget, so a broken double fails the test instead of hanging it.
    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(15)).Token;
}

using System.Security.Cryptography;
using Npgsql;
using Rag.Core.Chunking;
using Rag.Core.Ingestion;
using Rag.Core.Retrieval;
using Rag.Core.VectorIndex;
using Rag.Core.VectorIndex.InProcess;
using Rag.Tests.Infrastructure;

namespace Rag.Tests.Retrieval;

// The two places a search's passages come from, on real PostgreSQL: its search_passages function (with Qdrant) and
// this replica's memory (with the in-process indexes). They must return the same passages under the same filters.
[Collection(PostgresCollection.Name)]
public sealed class PassageSourceTests(PostgresFixture postgres)
{
    private const string Model = "test-model";
    private static readonly DateTimeOffset January = new(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);

    private static readonly (string ContentType, DateTimeOffset CreatedAt)[] Documents =
    [
        ("text/plain", January),
        ("text/markdown", January.AddMonths(1)),
        ("application/pdf", January.AddMonths(2)),
    ];

    public static TheoryData<string> FilterNames => ["none", "content types", "from", "to", "from and to", "another offset", "no match"];

    [Theory]
    [MemberData(nameof(FilterNames))]
    public async Task InProcessAndPostgreSqlReturnTheSamePassagesUnderTheSameFilters(string filterName)
    {
        var seeded = await SeedAsync();
        await using var _ = seeded.DataSource;
        var filters = filterName switch
        {
            "none" => new SearchFilters(),
            "content types" => new SearchFilters(ContentTypes: ["text/markdown", "application/pdf"]),
            // From is inclusive, to exclusive: the boundaries themselves decide which documents pass.
            "from" => new SearchFilters(From: January.AddMonths(1)),
            "to" => new SearchFilters(To: January.AddMonths(1)),
            "from and to" => new SearchFilters(From: January.AddMonths(1), To: January.AddMonths(2)),
            "another offset" => new SearchFilters(From: January.AddMonths(1).ToOffset(TimeSpan.FromHours(2))),
            _ => new SearchFilters(ContentTypes: ["TEXT/PLAIN"]),
        };
        HashSet<Guid> embeddingsOf = [seeded.ChunkIds[0], seeded.ChunkIds[3], seeded.ChunkIds[5]];
        Guid[] asked = [.. seeded.ChunkIds, Guid.NewGuid()];

        var fromPostgres = await seeded.Postgres.LoadAsync(asked, embeddingsOf, filters);
        var fromMemory = await seeded.InProcess.LoadAsync(asked, embeddingsOf, filters);

        Assert.Equal(fromPostgres.Keys.Order(), fromMemory.Keys.Order());
        foreach (var (chunkId, expected) in fromPostgres)
        {
            var actual = fromMemory[chunkId];
            Assert.Equal(expected.Hit with { HeadingPath = [] }, actual.Hit with { HeadingPath = [] });
            Assert.Equal(expected.Hit.HeadingPath, actual.Hit.HeadingPath);

            // The in-process index keeps vectors normalised: the same direction, which is all relevance uses.
            Assert.Equal(expected.Embedding is null, actual.Embedding is null);
            if (expected.Embedding is { } stored)
            {
                Assert.Equal(1.0, System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(stored, actual.Embedding!), precision: 5);
            }
        }

        var expectedCount = filterName switch { "none" => 6, "content types" => 4, "from" or "another offset" => 4, "to" => 2, "from and to" => 2, _ => 0 };
        Assert.Equal(expectedCount, fromMemory.Count);
    }

    [Fact]
    public async Task ADeletedOrReplacedDocumentsOldPassagesAreGone()
    {
        var seeded = await SeedAsync();
        await using var _ = seeded.DataSource;
        var (first, second) = (seeded.Passages[0], seeded.Passages[2]);
        var replacement = first with { Hit = first.Hit with { ChunkId = Guid.NewGuid(), Text = "The document's second version." } };

        seeded.Store.ReplaceDocument(first.Hit.DocumentId, [replacement]);
        seeded.Store.DeleteDocument(second.Hit.DocumentId);
        var loaded = await seeded.InProcess.LoadAsync([.. seeded.ChunkIds, replacement.Hit.ChunkId], new HashSet<Guid>(), new SearchFilters());

        Assert.Equal(3, loaded.Count);
        Assert.Equal("The document's second version.", loaded[replacement.Hit.ChunkId].Hit.Text);
        Assert.DoesNotContain(first.Hit.ChunkId, loaded.Keys);
        Assert.DoesNotContain(second.Hit.ChunkId, loaded.Keys);
        Assert.Throws<ArgumentException>(() => seeded.Store.ReplaceDocument(Guid.NewGuid(), [replacement]));
    }

    [Fact]
    public async Task PassagesAreRefusedUntilLoadedRatherThanSilentlyMissing()
    {
        using var index = new InProcessVectorIndex();
        var source = new InProcessPassageSource(new InProcessPassageStore(), index);

        await Assert.ThrowsAsync<VectorIndexNotReadyException>(() => source.LoadAsync([Guid.NewGuid()], new HashSet<Guid>(), new SearchFilters()));
    }

    private async Task<Seeded> SeedAsync()
    {
        var dataSource = NpgsqlDataSource.Create(await postgres.CreateMigratedDatabaseAsync());
        await using (var collection = dataSource.CreateCommand("INSERT INTO collections (name) VALUES ('manual') RETURNING id"))
        {
            var collectionId = (Guid)(await collection.ExecuteScalarAsync())!;
            for (var d = 0; d < Documents.Length; d++)
            {
                var documentId = Guid.NewGuid();
                await using (var document = dataSource.CreateCommand(
                    """
                    INSERT INTO documents (id, collection_id, title, file_name, content_type, size_bytes, content_sha256, status, created_at)
                    VALUES ($1, $2, $3, 'file', $4, 100, $5, 'completed', $6)
                    """))
                {
                    document.Parameters.Add(new() { Value = documentId });
                    document.Parameters.Add(new() { Value = collectionId });
                    document.Parameters.Add(new() { Value = $"Document {d}" });
                    document.Parameters.Add(new() { Value = Documents[d].ContentType });
                    document.Parameters.Add(new() { Value = RandomNumberGenerator.GetBytes(32) });
                    document.Parameters.Add(new() { Value = Documents[d].CreatedAt });
                    await document.ExecuteNonQueryAsync();
                }

                for (var ordinal = 0; ordinal < 2; ordinal++)
                {
                    await using var chunk = dataSource.CreateCommand(
                        """
                        INSERT INTO chunks (id, document_id, document_version, ordinal, text, heading_path, page, char_start, char_end, token_count, embedding, embedding_model)
                        VALUES ($1, $2, 1, $3, $4, $5, $6, 0, length($4), 8, $7, $8)
                        """);
                    chunk.Parameters.Add(new() { Value = ChunkIds.Create(documentId, 1, ordinal) });
                    chunk.Parameters.Add(new() { Value = documentId });
                    chunk.Parameters.Add(new() { Value = ordinal });
                    chunk.Parameters.Add(new() { Value = $"Passage {ordinal} of document {d}." });
                    chunk.Parameters.Add(new() { Value = ordinal == 0 ? new[] { "Guide", $"Part {d}" } : Array.Empty<string>() });
                    chunk.Parameters.Add(new() { Value = ordinal == 0 ? DBNull.Value : d + 1 });
                    chunk.Parameters.Add(new() { Value = new[] { 1f + d, 2f, 3f - ordinal } });
                    chunk.Parameters.Add(new() { Value = Model });
                    await chunk.ExecuteNonQueryAsync();
                }
            }
        }

        var indexed = new List<IndexedChunk>();
        await foreach (var chunk in new ChunkStore(dataSource).ReadAllIndexedChunksAsync(Model))
        {
            indexed.Add(chunk);
        }

        var index = new InProcessVectorIndex();
        await index.LoadAsync(Model, 3, indexed.Select(chunk => chunk.Point).ToAsyncEnumerable());
        var store = new InProcessPassageStore();
        store.Load(indexed.Select(chunk => chunk.Passage));
        var passages = indexed.Select(chunk => chunk.Passage).OrderBy(passage => passage.Hit.Text, StringComparer.Ordinal).ToList();
        return new Seeded(
            dataSource, store, new PostgresPassageSource(dataSource), new InProcessPassageSource(store, index),
            passages, [.. passages.Select(passage => passage.Hit.ChunkId)]);
    }

    private sealed record Seeded(
        NpgsqlDataSource DataSource,
        InProcessPassageStore Store,
        IPassageSource Postgres,
        IPassageSource InProcess,
        IReadOnlyList<StoredPassage> Passages,
        Guid[] ChunkIds);
}

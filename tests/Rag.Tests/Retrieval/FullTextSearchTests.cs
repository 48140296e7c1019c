using System.Security.Cryptography;
using Npgsql;
using Rag.Core.Ingestion;
using Rag.Core.Retrieval;
using Rag.Core.VectorIndex;
using Rag.Core.VectorIndex.InProcess;
using Rag.Tests.Infrastructure;

namespace Rag.Tests.Retrieval;

// The two ways the API answers the text half of hybrid search, on real PostgreSQL: in memory (with the in-process
// vector index) and in PostgreSQL (with Qdrant). They must find the same chunks; only their ranking differs.
[Collection(PostgresCollection.Name)]
public sealed class FullTextSearchTests(PostgresFixture postgres)
{
    private const string Model = "test-model";

    private static readonly string[] Passages =
    [
        "VACUUM reclaims storage occupied by dead tuples.",
        "Autovacuum runs vacuum and analyze automatically in the background.",
        "A checkpoint flushes dirty pages and writes a WAL record.",
        "Write-ahead logging (WAL) makes changes durable before data pages are written.",
        "Indexes speed up queries; a B-tree index suits equality and range conditions.",
        "Streaming replication ships WAL records to standby servers.",
        "The planner estimates costs from statistics gathered by ANALYZE.",
        "Table partitioning splits one large table into smaller physical pieces.",
    ];

    public static TheoryData<string> Queries =>
    [
        "How does vacuum reclaim storage?",
        "checkpoints and the write-ahead log",
        "Which index suits range conditions?",
        "replication standby servers statistics",
        "the and of it",
        "'; DROP TABLE chunks; -- & | ! :* () <-> \\",
        "vacúum ünïcode ∑ 日本語",
    ];

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task InProcessAndPostgreSqlFindTheSameChunks(string query)
    {
        var (dataSource, postgresSearch, inProcessSearch, collections) = await SeedAsync();
        await using var _ = dataSource;

        foreach (var filter in new[] { VectorFilter.None, new VectorFilter(CollectionIds: [collections[1]]) })
        {
            var inPostgres = await postgresSearch.SearchAsync(query, 100, filter);
            var inProcess = await inProcessSearch.SearchAsync(query, 100, filter);
            Assert.Equal(inPostgres.Order(), inProcess.Order());
        }
    }

    [Fact]
    public async Task TheChunkThatCoversTheQueryBestComesFirst()
    {
        var (dataSource, _, inProcessSearch, _) = await SeedAsync();
        await using var __ = dataSource;

        var matches = await inProcessSearch.SearchAsync("vacuum reclaims dead tuples", 10, VectorFilter.None);

        Assert.Equal(2, matches.Count);
        Assert.Equal(await ChunkIdOfAsync(dataSource, Passages[0]), matches[0]);
    }

    private async Task<(NpgsqlDataSource, IFullTextSearch, IFullTextSearch, Guid[])> SeedAsync()
    {
        var dataSource = NpgsqlDataSource.Create(await postgres.CreateMigratedDatabaseAsync());
        var collections = new Guid[2];
        for (var c = 0; c < collections.Length; c++)
        {
            await using var collection = dataSource.CreateCommand("INSERT INTO collections (name) VALUES ($1) RETURNING id");
            collection.Parameters.Add(new() { Value = $"manual-{c}" });
            collections[c] = (Guid)(await collection.ExecuteScalarAsync())!;
        }

        for (var p = 0; p < Passages.Length; p++)
        {
            var documentId = Guid.NewGuid();
            await using (var document = dataSource.CreateCommand(
                """
                INSERT INTO documents (id, collection_id, title, file_name, content_type, size_bytes, content_sha256, status)
                VALUES ($1, $2, $3, $3 || '.txt', 'text/plain', 100, $4, 'completed')
                """))
            {
                document.Parameters.Add(new() { Value = documentId });
                document.Parameters.Add(new() { Value = collections[p % 2] });
                document.Parameters.Add(new() { Value = $"Page {p}" });
                document.Parameters.Add(new() { Value = RandomNumberGenerator.GetBytes(32) });
                await document.ExecuteNonQueryAsync();
            }

            await using var chunk = dataSource.CreateCommand(
                """
                INSERT INTO chunks (id, document_id, document_version, ordinal, text, heading_path, char_start, char_end, token_count, embedding, embedding_model)
                VALUES ($1, $2, 1, 0, $3, $4, 0, length($3), 8, $5, $6)
                """);
            chunk.Parameters.Add(new() { Value = Rag.Core.Chunking.ChunkIds.Create(documentId, 1, 0) });
            chunk.Parameters.Add(new() { Value = documentId });
            chunk.Parameters.Add(new() { Value = Passages[p] });
            chunk.Parameters.Add(new() { Value = new[] { "Server Administration" } });
            chunk.Parameters.Add(new() { Value = new[] { 0.1f, 0.2f, 0.3f } });
            chunk.Parameters.Add(new() { Value = Model });
            await chunk.ExecuteNonQueryAsync();
        }

        var textIndex = new InProcessTextIndex();
        var entries = new List<TextIndexEntry>();
        await foreach (var indexed in new ChunkStore(dataSource).ReadAllIndexedChunksAsync(Model))
        {
            entries.Add(indexed.ToTextEntry());
        }

        textIndex.Load(entries);
        Assert.Equal(Passages.Length, textIndex.Count);
        return (dataSource, new PostgresFullTextSearch(dataSource), new InProcessFullTextSearch(dataSource, textIndex), collections);
    }

    private static async Task<Guid> ChunkIdOfAsync(NpgsqlDataSource dataSource, string text)
    {
        await using var command = dataSource.CreateCommand("SELECT id FROM chunks WHERE text = $1");
        command.Parameters.Add(new() { Value = text });
        return (Guid)(await command.ExecuteScalarAsync())!;
    }
}

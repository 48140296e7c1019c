using System.Security.Cryptography;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Rag.Core.Embeddings;
using Rag.Core.Ingestion;
using Rag.Core.VectorIndex;
using Rag.Tests.Infrastructure;
using Rag.Tests.VectorIndex.Qdrant;

namespace Rag.Tests.VectorIndex;

// Rebuilding the shared index from PostgreSQL's chunks: real PostgreSQL, Qdrant through its contract-checking double.
[Collection(PostgresCollection.Name)]
public sealed class IndexRebuilderTests(PostgresFixture postgres, QdrantDoubleFixture qdrant) : IClassFixture<QdrantDoubleFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AChangeOfModelEmbedsEveryChunkAgainAndRefillsTheSharedIndex()
    {
        await using var dataSource = NpgsqlDataSource.Create(await postgres.CreateMigratedDatabaseAsync());
        var chunkIds = await SeedAsync(dataSource, documents: 3, chunksPerDocument: 4);
        var (rebuilder, index) = await CreateAsync(dataSource);

        var started = await rebuilder.StartAsync().WaitAsync(Timeout);
        var finished = await rebuilder.RunAsync(started.Id).WaitAsync(Timeout);

        Assert.Equal("completed", finished.Status);
        Assert.Equal(OfflineEmbeddingGenerator.ModelId, finished.EmbeddingModel);
        Assert.Equal((3, 3, 12), (finished.DocumentsDone, finished.DocumentsTotal, finished.ChunksEmbedded));
        Assert.Equal(12, await index.CountAsync());

        // Each chunk now holds exactly what ingestion would have embedded for it, and the index finds it by that vector.
        var (title, headingPath, text, model, stored) = await ReadChunkAsync(dataSource, chunkIds[5]);
        var expected = (await new OfflineEmbeddingGenerator().GenerateAsync([DocumentIndexer.EmbeddingInput(title, headingPath, text)]))[0].Vector;
        Assert.Equal(OfflineEmbeddingGenerator.ModelId, model);
        Assert.Equal(expected.ToArray(), stored);
        Assert.Equal(chunkIds[5], (await index.SearchAsync(expected, 1, VectorFilter.None))[0].ChunkId);
        Assert.Empty(qdrant.Qdrant.Violations);
    }

    [Fact]
    public async Task AnInterruptedRebuildResumesFromItsCursorWithoutEmbeddingTwice()
    {
        await using var dataSource = NpgsqlDataSource.Create(await postgres.CreateMigratedDatabaseAsync());
        await SeedAsync(dataSource, documents: 40, chunksPerDocument: 1);
        var (rebuilder, index) = await CreateAsync(dataSource);
        var started = await rebuilder.StartAsync().WaitAsync(Timeout);

        using var interrupt = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => rebuilder.RunAsync(started.Id, new StopAfterFirstBatch(interrupt), interrupt.Token).WaitAsync(Timeout));
        var interrupted = (await rebuilder.GetAsync(started.Id))!;
        Assert.Equal("running", interrupted.Status);
        Assert.InRange(interrupted.DocumentsDone, 1, 39);

        var resumed = await rebuilder.StartAsync().WaitAsync(Timeout);
        Assert.Equal(started.Id, resumed.Id);
        var finished = await rebuilder.RunAsync(resumed.Id).WaitAsync(Timeout);

        Assert.Equal("completed", finished.Status);
        Assert.Equal((40, 40), (finished.DocumentsDone, finished.ChunksEmbedded));
        Assert.Equal(40, await index.CountAsync());
    }

    [Fact]
    public async Task TheRunnerReleasesItsLockThoughPooledConnectionsAreNotReset()
    {
        // As AddRagDatabase configures it: the runner's connection goes back to the pool as it is.
        var connectionString = await postgres.CreateMigratedDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(
            new NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true }.ConnectionString);
        await SeedAsync(dataSource, documents: 2, chunksPerDocument: 2);
        var (rebuilder, _) = await CreateAsync(dataSource);
        using var runner = new IndexRebuildRunner(rebuilder, dataSource, new AppliedMigrations(), NullLogger<IndexRebuildRunner>.Instance);
        await runner.StartAsync(CancellationToken.None);

        var requested = await runner.Request().WaitAsync(Timeout);
        var deadline = DateTime.UtcNow + Timeout;
        while ((await rebuilder.GetAsync(requested.Id))!.Status == "running")
        {
            Assert.True(DateTime.UtcNow < deadline, "The rebuild did not finish in time.");
            await Task.Delay(50);
        }

        await runner.StopAsync(CancellationToken.None);

        // Another replica's session could take the lock now: nobody holds one, the idle pooled connection included.
        await using var other = NpgsqlDataSource.Create(connectionString);
        await using var locks = other.CreateCommand("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'");
        Assert.Equal(0L, await locks.ExecuteScalarAsync());
    }

    private sealed class AppliedMigrations : Rag.Core.Storage.IDatabaseMigrationStatus
    {
        public bool IsApplied => true;

        public Task WaitUntilAppliedAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
    }

    private async Task<(IndexRebuilder Rebuilder, IVectorIndex Index)> CreateAsync(NpgsqlDataSource dataSource)
    {
        var host = await qdrant.StartHostAsync();
        var index = host.Services.GetRequiredService<ISharedVectorIndex>();
        return (new IndexRebuilder(dataSource, new OfflineEmbeddingGenerator(), NullLogger<IndexRebuilder>.Instance, index), index);
    }

    // Documents indexed by an older, 3-dimensional model, as before a change of embedding model.
    private static async Task<List<Guid>> SeedAsync(NpgsqlDataSource dataSource, int documents, int chunksPerDocument)
    {
        var chunkIds = new List<Guid>();
        for (var d = 0; d < documents; d++)
        {
            var documentId = Guid.NewGuid();
            await using (var document = dataSource.CreateCommand(
                """
                INSERT INTO documents (id, collection_id, title, file_name, content_type, size_bytes, content_sha256, status)
                SELECT $1, id, $2, $2 || '.txt', 'text/plain', 100, $3, 'completed' FROM collections WHERE name = 'default'
                """))
            {
                document.Parameters.Add(new() { Value = documentId });
                document.Parameters.Add(new() { Value = $"Survey {d}" });
                document.Parameters.Add(new() { Value = RandomNumberGenerator.GetBytes(32) });
                await document.ExecuteNonQueryAsync();
            }

            for (var c = 0; c < chunksPerDocument; c++)
            {
                var chunkId = Rag.Core.Chunking.ChunkIds.Create(documentId, 1, c);
                chunkIds.Add(chunkId);
                await using var chunk = dataSource.CreateCommand(
                    """
                    INSERT INTO chunks (id, document_id, document_version, ordinal, text, heading_path, char_start, char_end, token_count, embedding, embedding_model)
                    VALUES ($1, $2, 1, $3, $4, $5, 0, length($4), 8, $6, 'old-model')
                    """);
                chunk.Parameters.Add(new() { Value = chunkId });
                chunk.Parameters.Add(new() { Value = documentId });
                chunk.Parameters.Add(new() { Value = c });
                chunk.Parameters.Add(new() { Value = $"Reading {c} of survey {d} lists {d * 31 + c} migrating cranes." });
                chunk.Parameters.Add(new() { Value = new[] { "Findings", $"Site {c}" } });
                chunk.Parameters.Add(new() { Value = new[] { 0.1f, 0.2f, 0.3f } });
                await chunk.ExecuteNonQueryAsync();
            }
        }

        return chunkIds;
    }

    private static async Task<(string Title, string[] HeadingPath, string Text, string Model, float[] Embedding)> ReadChunkAsync(NpgsqlDataSource dataSource, Guid chunkId)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT d.title, ch.heading_path, ch.text, ch.embedding_model, ch.embedding FROM chunks ch JOIN documents d ON d.id = ch.document_id WHERE ch.id = $1");
        command.Parameters.Add(new() { Value = chunkId });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetString(0), reader.GetFieldValue<string[]>(1), reader.GetString(2), reader.GetString(3), reader.GetFieldValue<float[]>(4));
    }

    // Reports arrive synchronously after each batch: cancelling here stops the rebuild with exactly one batch done.
    private sealed class StopAfterFirstBatch(CancellationTokenSource interrupt) : IProgress<IndexRebuildStatus>
    {
        public void Report(IndexRebuildStatus value) => interrupt.Cancel();
    }
}

using System.Security.Cryptography;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Rag.Core.Chunking;
using Rag.Core.Embeddings;
using Rag.Core.Ingestion;
using Rag.Core.Retrieval;
using Rag.Core.Storage;
using Rag.Core.VectorIndex;
using Rag.Core.VectorIndex.InProcess;
using Rag.Tests.Infrastructure;

namespace Rag.Tests.VectorIndex;

// A replica's in-process vectors, lexemes and passages follow PostgreSQL: on an index event, on reconciliation when
// no event came, and at once for a deletion the replica made itself. Real PostgreSQL and Redis.
[Collection(PostgresCollection.Name)]
public sealed class InProcessIndexSynchronizerTests(PostgresFixture postgres)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(40);
    private readonly OfflineEmbeddingGenerator _embedder = new();

    [Fact]
    public async Task DeletedAndReindexedDocumentsLeaveThePassagesOnEventsReconciliationAndAtOnceWhenForgotten()
    {
        await using var redisServer = await Rag.LocalHost.Processes.RedisServer.StartAsync();
        await using var redis = Rag.Core.Redis.RedisClientFactory.Create(redisServer.ConnectionString);
        await using var dataSource = NpgsqlDataSource.Create(await postgres.CreateMigratedDatabaseAsync());
        var collectionId = await ScalarAsync<Guid>(dataSource, "INSERT INTO collections (name) VALUES ('sync') RETURNING id");
        var (deletedByEvent, reindexedQuietly, forgotten) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        foreach (var documentId in new[] { deletedByEvent, reindexedQuietly, forgotten })
        {
            await InsertDocumentAsync(dataSource, collectionId, documentId);
            await InsertChunksAsync(dataSource, documentId, version: 1, $"first version of {documentId}");
        }

        using var index = new InProcessVectorIndex();
        using var textIndex = new InProcessTextIndex();
        var passages = new InProcessPassageStore();
        var source = new InProcessPassageSource(passages, index);
        var events = new IndexEvents(redis);
        using var synchronizer = new InProcessIndexSynchronizer(
            index, textIndex, passages, new ChunkStore(dataSource), events, _embedder, new MigrationsApplied(), NullLogger<InProcessIndexSynchronizer>.Instance);
        await synchronizer.StartAsync(CancellationToken.None);
        try
        {
            await WaitUntilAsync(async () => (await synchronizer.CheckHealthAsync(new HealthCheckContext())).Status == HealthStatus.Healthy);
            Assert.Equal(6, (await LoadAllAsync(source, deletedByEvent, reindexedQuietly, forgotten)).Count);

            // The replica that deleted a document forgets it before answering, with no event.
            await synchronizer.ForgetDocumentAsync(forgotten);
            Assert.Empty(await LoadAllAsync(source, forgotten));
            Assert.Null(index.CopyVector(ChunkIds.Create(forgotten, 1, 0)));

            // Another replica's deletion arrives as an index event.
            await ExecuteAsync(dataSource, "DELETE FROM documents WHERE id = $1", deletedByEvent);
            await events.PublishChangedAsync(deletedByEvent);
            await WaitUntilAsync(async () => (await LoadAllAsync(source, deletedByEvent)).Count == 0);

            // A re-index whose event was lost keeps the chunk count: reconciliation must notice the version.
            await ExecuteAsync(dataSource, "DELETE FROM chunks WHERE document_id = $1", reindexedQuietly);
            await InsertChunksAsync(dataSource, reindexedQuietly, version: 2, "second version");
            await WaitUntilAsync(async () => (await LoadAllAsync(source, reindexedQuietly)).Values.All(p => p.Hit.Text.StartsWith("second version", StringComparison.Ordinal)));
            var current = await LoadAllAsync(source, reindexedQuietly);
            Assert.Equal(new[] { ChunkIds.Create(reindexedQuietly, 2, 0), ChunkIds.Create(reindexedQuietly, 2, 1) }.Order(), current.Keys.Order());
            Assert.Empty(await source.LoadAsync([ChunkIds.Create(reindexedQuietly, 1, 0)], new HashSet<Guid>(), new SearchFilters()));
        }
        finally
        {
            await synchronizer.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>Every version-1 and version-2 chunk the documents could have, as a search would ask for them.</summary>
    private static async Task<IReadOnlyDictionary<Guid, LoadedPassage>> LoadAllAsync(IPassageSource source, params Guid[] documentIds)
    {
        Guid[] candidates = [.. documentIds.SelectMany(id => new[] { ChunkIds.Create(id, 1, 0), ChunkIds.Create(id, 1, 1), ChunkIds.Create(id, 2, 0), ChunkIds.Create(id, 2, 1) })];
        return await source.LoadAsync(candidates, candidates.ToHashSet(), new SearchFilters());
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (!await condition())
        {
            await Task.Delay(100, timeout.Token);
        }
    }

    private static async Task InsertDocumentAsync(NpgsqlDataSource dataSource, Guid collectionId, Guid documentId)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO documents (id, collection_id, title, file_name, content_type, size_bytes, content_sha256, status)
            VALUES ($1, $2, 'A document', 'file.txt', 'text/plain', 100, $3, 'completed')
            """);
        command.Parameters.Add(new() { Value = documentId });
        command.Parameters.Add(new() { Value = collectionId });
        command.Parameters.Add(new() { Value = RandomNumberGenerator.GetBytes(32) });
        await command.ExecuteNonQueryAsync();
    }

    private async Task InsertChunksAsync(NpgsqlDataSource dataSource, Guid documentId, int version, string text)
    {
        for (var ordinal = 0; ordinal < 2; ordinal++)
        {
            var chunkText = $"{text}, part {ordinal}";
            var embedding = (await _embedder.GenerateAsync([chunkText]))[0].Vector.ToArray();
            await using var command = dataSource.CreateCommand(
                """
                INSERT INTO chunks (id, document_id, document_version, ordinal, text, heading_path, char_start, char_end, token_count, embedding, embedding_model)
                VALUES ($1, $2, $3, $4, $5, '{}', 0, length($5), 8, $6, $7)
                """);
            command.Parameters.Add(new() { Value = ChunkIds.Create(documentId, version, ordinal) });
            command.Parameters.Add(new() { Value = documentId });
            command.Parameters.Add(new() { Value = version });
            command.Parameters.Add(new() { Value = ordinal });
            command.Parameters.Add(new() { Value = chunkText });
            command.Parameters.Add(new() { Value = embedding });
            command.Parameters.Add(new() { Value = OfflineEmbeddingGenerator.ModelId });
            await command.ExecuteNonQueryAsync();
        }
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql, Guid id)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new() { Value = id });
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private sealed class MigrationsApplied : IDatabaseMigrationStatus
    {
        public bool IsApplied => true;

        public Task WaitUntilAppliedAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
    }
}

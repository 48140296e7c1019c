using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Rag.Core.Ingestion;
using Rag.Core.Storage;

namespace Rag.Core.VectorIndex;

public sealed record IndexRebuildStatus(
    Guid Id,
    string Status,
    string EmbeddingModel,
    int Dimension,
    int DocumentsDone,
    int DocumentsTotal,
    int ChunksEmbedded,
    string? Error,
    DateTimeOffset StartedAt,
    DateTimeOffset? CompletedAt);

/// <summary>
/// Rebuilds the vector index from the chunks in PostgreSQL, without extracting any document again: chunks embedded
/// with another model are embedded again with the configured one, then every document's points are written to the
/// shared index (Qdrant), which is emptied first. Progress is kept in index_rebuilds, one document batch at a time,
/// so a rebuild that stops (a crash, a deploy) resumes from its cursor. API replicas with an in-process index pick
/// the new embeddings up from PostgreSQL when they next reconcile (it counts chunks by model).
/// </summary>
public sealed partial class IndexRebuilder(
    NpgsqlDataSource dataSource,
    IEmbeddingGenerator<string, Embedding<float>> embedder,
    ILogger<IndexRebuilder> logger,
    ISharedVectorIndex? sharedIndex = null)
{
    private const int DocumentsPerBatch = 16;

    /// <summary>Starts a rebuild, or returns the one already running (which <see cref="RunAsync"/> then resumes).</summary>
    public async Task<IndexRebuildStatus> StartAsync(CancellationToken cancellationToken = default)
    {
        if (await GetRunningAsync(cancellationToken) is { } running)
        {
            return running;
        }

        var (model, dimension) = await DescribeModelAsync(cancellationToken);
        if (sharedIndex is not null)
        {
            await sharedIndex.ResetAsync(model, dimension, cancellationToken);
        }

        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO index_rebuilds (id, status, embedding_model, dimension, documents_total)
            SELECT $1, 'running', $2, $3, (SELECT count(DISTINCT document_id) FROM chunks)::int
            ON CONFLICT DO NOTHING
            """);
        command.Parameters.Add(new() { Value = Guid.CreateVersion7() });
        command.Parameters.Add(new() { Value = model });
        command.Parameters.Add(new() { Value = dimension });
        await command.ExecuteNonQueryAsync(cancellationToken);

        // Whoever won a race to start is the one rebuild.
        return (await GetRunningAsync(cancellationToken))!;
    }

    /// <summary>Runs (or resumes) the rebuild until every document is done, reporting progress after each batch.</summary>
    public async Task<IndexRebuildStatus> RunAsync(Guid rebuildId, IProgress<IndexRebuildStatus>? progress = null, CancellationToken cancellationToken = default)
    {
        var status = await GetAsync(rebuildId, cancellationToken) ?? throw new InvalidOperationException($"No index rebuild {rebuildId}.");
        if (status.Status != "running")
        {
            return status;
        }

        var (model, _) = await DescribeModelAsync(cancellationToken);
        if (model != status.EmbeddingModel)
        {
            throw new InvalidOperationException(
                $"Index rebuild {rebuildId} was started for model '{status.EmbeddingModel}', but '{model}' is configured now. Start a new rebuild.");
        }

        try
        {
            Guid? cursor = await ReadCursorAsync(rebuildId, cancellationToken);
            while (true)
            {
                var documents = await NextDocumentsAsync(cursor, cancellationToken);
                if (documents.Count == 0)
                {
                    break;
                }

                var embedded = 0;
                foreach (var documentId in documents)
                {
                    embedded += await RebuildDocumentAsync(documentId, model, cancellationToken);
                }

                cursor = documents[^1];
                status = await AdvanceAsync(rebuildId, cursor.Value, documents.Count, embedded, cancellationToken);
                progress?.Report(status);
            }

            status = await CompleteAsync(rebuildId, cancellationToken);
            Log.Completed(logger, rebuildId, status.DocumentsDone, status.ChunksEmbedded);
            return status;
        }
        catch (Exception error) when (error is not OperationCanceledException and not NpgsqlException)
        {
            // Our own failure (a model error, a 4xx from the index) stops this rebuild; a lost database or a
            // cancellation leaves it running, to be resumed.
            await FailAsync(rebuildId, $"{error.GetType().Name}: {error.Message}", CancellationToken.None);
            throw;
        }
    }

    public async Task<IndexRebuildStatus?> GetAsync(Guid rebuildId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(SelectStatus + " WHERE id = $1");
        command.Parameters.Add(new() { Value = rebuildId });
        return await ReadStatusAsync(command, cancellationToken);
    }

    public async Task<IndexRebuildStatus?> GetRunningAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(SelectStatus + " WHERE status = 'running'");
        return await ReadStatusAsync(command, cancellationToken);
    }

    /// <returns>How many chunks had to be embedded again.</returns>
    private async Task<int> RebuildDocumentAsync(Guid documentId, string model, CancellationToken cancellationToken)
    {
        var chunks = new List<(Guid Id, string Text, string[] HeadingPath, string? Model, float[]? Embedding)>();
        string title = string.Empty;
        Guid collectionId = default;
        string[] tags = [];
        await using (var command = dataSource.CreateCommand(
            """
            SELECT ch.id, ch.text, ch.heading_path, ch.embedding_model, array_send(ch.embedding), d.title, d.collection_id, d.tags
            FROM chunks ch JOIN documents d ON d.id = ch.document_id
            WHERE ch.document_id = $1 ORDER BY ch.ordinal
            """))
        {
            command.Parameters.Add(new() { Value = documentId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                chunks.Add((reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<string[]>(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3), EmbeddingColumn.Read(reader, 4)));
                (title, collectionId, tags) = (reader.GetString(5), reader.GetGuid(6), reader.GetFieldValue<string[]>(7));
            }
        }

        var stale = chunks.Where(c => c.Model != model || c.Embedding is null).ToList();
        if (stale.Count > 0)
        {
            var generated = await embedder.GenerateAsync(
                stale.Select(c => DocumentIndexer.EmbeddingInput(title, c.HeadingPath, c.Text)), cancellationToken: cancellationToken);
            await using var batch = dataSource.CreateBatch();
            for (var i = 0; i < stale.Count; i++)
            {
                var update = new NpgsqlBatchCommand("UPDATE chunks SET embedding = $2, embedding_model = $3 WHERE id = $1");
                update.Parameters.Add(new() { Value = stale[i].Id });
                update.Parameters.Add(new() { Value = generated[i].Vector.ToArray() });
                update.Parameters.Add(new() { Value = model });
                batch.BatchCommands.Add(update);
            }

            await batch.ExecuteNonQueryAsync(cancellationToken);

            var byId = stale.Select((c, i) => (c.Id, Vector: generated[i].Vector.ToArray())).ToDictionary(x => x.Id, x => x.Vector);
            chunks = [.. chunks.Select(c => byId.TryGetValue(c.Id, out var vector) ? c with { Model = model, Embedding = vector } : c)];
        }

        if (sharedIndex is not null)
        {
            await sharedIndex.ReplaceDocumentAsync(
                documentId,
                [.. chunks.Select(c => new VectorPoint(c.Id, documentId, collectionId, tags, c.Embedding!))],
                cancellationToken);
        }

        return stale.Count;
    }

    private async Task<(string Model, int Dimension)> DescribeModelAsync(CancellationToken cancellationToken)
    {
        var metadata = embedder.GetService<EmbeddingGeneratorMetadata>();
        var model = metadata?.DefaultModelId ?? throw new InvalidOperationException("The embedding generator names no model.");
        var dimension = metadata.DefaultModelDimensions
            ?? (await embedder.GenerateAsync(["dimension probe"], cancellationToken: cancellationToken))[0].Vector.Length;
        return (model, dimension);
    }

    private async Task<List<Guid>> NextDocumentsAsync(Guid? cursor, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT DISTINCT document_id FROM chunks WHERE $1::uuid IS NULL OR document_id > $1 ORDER BY document_id LIMIT $2");
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Uuid, Value = (object?)cursor ?? DBNull.Value });
        command.Parameters.Add(new() { Value = DocumentsPerBatch });
        var documents = new List<Guid>(DocumentsPerBatch);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            documents.Add(reader.GetGuid(0));
        }

        return documents;
    }

    private async Task<Guid?> ReadCursorAsync(Guid rebuildId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT cursor_document_id FROM index_rebuilds WHERE id = $1");
        command.Parameters.Add(new() { Value = rebuildId });
        return await command.ExecuteScalarAsync(cancellationToken) as Guid?;
    }

    private async Task<IndexRebuildStatus> AdvanceAsync(Guid rebuildId, Guid cursor, int documents, int embedded, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE index_rebuilds
            SET cursor_document_id = $2, documents_done = documents_done + $3, chunks_embedded = chunks_embedded + $4,
                documents_total = greatest(documents_total, documents_done + $3), updated_at = now()
            WHERE id = $1
            RETURNING id, status, embedding_model, dimension, documents_done, documents_total, chunks_embedded, error, started_at, completed_at
            """);
        command.Parameters.Add(new() { Value = rebuildId });
        command.Parameters.Add(new() { Value = cursor });
        command.Parameters.Add(new() { Value = documents });
        command.Parameters.Add(new() { Value = embedded });
        return (await ReadStatusAsync(command, cancellationToken))!;
    }

    private async Task<IndexRebuildStatus> CompleteAsync(Guid rebuildId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            WITH done AS (
                UPDATE index_rebuilds SET status = 'completed', documents_total = documents_done, completed_at = now(), updated_at = now()
                WHERE id = $1
                RETURNING id, status, embedding_model, dimension, documents_done, documents_total, chunks_embedded, error, started_at, completed_at
            ), recorded AS (
                INSERT INTO index_state (kind, embedding_model, dimension)
                SELECT $2, embedding_model, dimension FROM done
                ON CONFLICT (singleton) DO UPDATE SET kind = EXCLUDED.kind, embedding_model = EXCLUDED.embedding_model,
                                                     dimension = EXCLUDED.dimension, updated_at = now()
            )
            SELECT * FROM done
            """);
        command.Parameters.Add(new() { Value = rebuildId });
        command.Parameters.Add(new() { Value = sharedIndex?.Describe().Kind ?? "in-process" });
        return (await ReadStatusAsync(command, cancellationToken))!;
    }

    private async Task FailAsync(Guid rebuildId, string error, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE index_rebuilds SET status = 'failed', error = $2, completed_at = now(), updated_at = now() WHERE id = $1");
        command.Parameters.Add(new() { Value = rebuildId });
        command.Parameters.Add(new() { Value = error });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private const string SelectStatus =
        "SELECT id, status, embedding_model, dimension, documents_done, documents_total, chunks_embedded, error, started_at, completed_at FROM index_rebuilds";

    private static async Task<IndexRebuildStatus?> ReadStatusAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new IndexRebuildStatus(
            reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetInt32(4), reader.GetInt32(5),
            reader.GetInt32(6), reader.IsDBNull(7) ? null : reader.GetString(7), reader.GetFieldValue<DateTimeOffset>(8),
            reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9));
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Index rebuild {RebuildId} completed: {Documents} documents, {Embedded} chunks embedded again")]
        public static partial void Completed(ILogger logger, Guid rebuildId, int documents, int embedded);
    }
}

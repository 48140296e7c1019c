using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;
using Rag.Core.Chunking;
using Rag.Core.Jobs;
using Rag.Core.Retrieval;
using Rag.Core.Storage;
using Rag.Core.VectorIndex;
using Rag.Core.VectorIndex.InProcess;

namespace Rag.Core.Ingestion;

public enum ChunkWriteOutcome
{
    Written,

    /// <summary>The document was deleted, re-indexed, or the job was taken from this worker meanwhile: nothing was written.</summary>
    Superseded,
}

/// <summary>Chunks with their embeddings in PostgreSQL: what every vector index is built from.</summary>
public sealed class ChunkStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// In one transaction: replaces every chunk of the document with <paramref name="chunks"/> (its version
    /// <paramref name="version"/>), records the <paramref name="title"/> its embeddings were made with (the one
    /// extraction found, or the file's), and completes the job and the document. Nothing is written unless the job
    /// is still this worker's and the document still at that version.
    /// </summary>
    public async Task<ChunkWriteOutcome> ReplaceAndCompleteAsync(
        ClaimedJob job,
        string workerId,
        int version,
        string title,
        IReadOnlyList<DocumentChunk> chunks,
        IReadOnlyList<ReadOnlyMemory<float>> embeddings,
        string embeddingModel,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(chunks);
        if (chunks.Count != embeddings.Count)
        {
            throw new ArgumentException("Every chunk needs exactly one embedding.", nameof(embeddings));
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Locks the document and the job so a concurrent delete, re-index or reclaim waits for this commit or wins before it.
        await using (var check = new NpgsqlCommand(
            """
            SELECT 1 FROM documents d JOIN jobs j ON j.document_id = d.id
            WHERE d.id = $1 AND d.version = $2 AND j.id = $3 AND j.worker_id = $4 AND j.status = 'processing'
            FOR UPDATE
            """, connection, transaction))
        {
            check.Parameters.Add(new() { Value = job.DocumentId });
            check.Parameters.Add(new() { Value = version });
            check.Parameters.Add(new() { Value = job.Id });
            check.Parameters.Add(new() { Value = workerId });
            if (await check.ExecuteScalarAsync(cancellationToken) is null)
            {
                return ChunkWriteOutcome.Superseded;
            }
        }

        await using (var delete = new NpgsqlCommand("DELETE FROM chunks WHERE document_id = $1", connection, transaction))
        {
            delete.Parameters.Add(new() { Value = job.DocumentId });
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var retitle = new NpgsqlCommand("UPDATE documents SET title = $2 WHERE id = $1", connection, transaction))
        {
            retitle.Parameters.Add(new() { Value = job.DocumentId });
            retitle.Parameters.Add(new() { Value = title });
            await retitle.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY chunks (id, document_id, document_version, ordinal, text, heading_path, page, char_start, char_end, token_count, embedding, embedding_model) FROM STDIN (FORMAT BINARY)",
            cancellationToken))
        {
            for (var i = 0; i < chunks.Count; i++)
            {
                var chunk = chunks[i];
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(ChunkIds.Create(job.DocumentId, version, chunk.Ordinal), NpgsqlDbType.Uuid, cancellationToken);
                await writer.WriteAsync(job.DocumentId, NpgsqlDbType.Uuid, cancellationToken);
                await writer.WriteAsync(version, NpgsqlDbType.Integer, cancellationToken);
                await writer.WriteAsync(chunk.Ordinal, NpgsqlDbType.Integer, cancellationToken);
                await writer.WriteAsync(chunk.Text, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(chunk.HeadingPath.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
                if (chunk.Page is { } page)
                {
                    await writer.WriteAsync(page, NpgsqlDbType.Integer, cancellationToken);
                }
                else
                {
                    await writer.WriteNullAsync(cancellationToken);
                }

                await writer.WriteAsync(chunk.StartChar, NpgsqlDbType.Integer, cancellationToken);
                await writer.WriteAsync(chunk.EndChar, NpgsqlDbType.Integer, cancellationToken);
                await writer.WriteAsync(chunk.TokenCount, NpgsqlDbType.Integer, cancellationToken);
                await writer.WriteAsync(embeddings[i].ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Real, cancellationToken);
                await writer.WriteAsync(embeddingModel, NpgsqlDbType.Text, cancellationToken);
            }

            await writer.CompleteAsync(cancellationToken);
        }

        await JobStore.FinishAsync(connection, transaction, job.Id, job.DocumentId, JobStatus.Completed, error: null, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return ChunkWriteOutcome.Written;
    }

    /// <summary>The chunks of one document embedded with <paramref name="model"/> (none when it was deleted), for keeping an in-process index current.</summary>
    public IAsyncEnumerable<IndexedChunk> ReadIndexedChunksAsync(string model, Guid documentId, CancellationToken cancellationToken = default) =>
        QueryIndexedChunksAsync(model, documentId, cancellationToken);

    /// <summary>Every chunk embedded with <paramref name="model"/>, for loading an in-process index.</summary>
    public IAsyncEnumerable<IndexedChunk> ReadAllIndexedChunksAsync(string model, CancellationToken cancellationToken = default) =>
        QueryIndexedChunksAsync(model, documentId: null, cancellationToken);

    /// <summary>Which of <paramref name="chunkIds"/> are still stored (not deleted, nor replaced by a re-index).</summary>
    public async Task<HashSet<Guid>> ExistingAsync(IReadOnlyCollection<Guid> chunkIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunkIds);
        await using var command = dataSource.CreateCommand("SELECT id FROM chunks WHERE id = ANY($1)");
        command.Parameters.Add(new() { Value = chunkIds.ToArray() });
        var existing = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            existing.Add(reader.GetGuid(0));
        }

        return existing;
    }

    /// <summary>
    /// How many chunks embedded with <paramref name="model"/> each document has, and of which version: what a vector
    /// index should hold (a re-index keeps the count but not the version).
    /// </summary>
    public async Task<Dictionary<Guid, (int Count, int Version)>> CountPointsByDocumentAsync(string model, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT document_id, count(*)::int, max(document_version) FROM chunks WHERE embedding_model = $1 AND embedding IS NOT NULL GROUP BY document_id");
        command.Parameters.Add(new() { Value = model });
        var counts = new Dictionary<Guid, (int, int)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetGuid(0)] = (reader.GetInt32(1), reader.GetInt32(2));
        }

        return counts;
    }

    private async IAsyncEnumerable<IndexedChunk> QueryIndexedChunksAsync(
        string model, Guid? documentId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT ch.id, ch.document_id, d.collection_id, d.tags, array_send(ch.embedding), ch.tsv,
                   d.title, ch.heading_path, ch.page, ch.text, d.content_type, d.created_at, ch.document_version
            FROM chunks ch JOIN documents d ON d.id = ch.document_id
            WHERE ch.embedding_model = $1 AND ch.embedding IS NOT NULL AND ($2::uuid IS NULL OR ch.document_id = $2)
            """);
        command.Parameters.Add(new() { Value = model });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Uuid, Value = (object?)documentId ?? DBNull.Value });

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var lexemes = reader.GetFieldValue<NpgsqlTsVector>(5);
            var passage = new SearchHit(
                reader.GetGuid(0), reader.GetGuid(1), reader.GetString(6), reader.GetFieldValue<string[]>(7),
                reader.IsDBNull(8) ? null : reader.GetInt32(8), reader.GetString(9), 0, null, []);
            yield return new IndexedChunk(
                new VectorPoint(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetFieldValue<string[]>(3), EmbeddingColumn.Read(reader, 4)!),
                // A lexeme stored without positions still occurred once.
                [.. lexemes.Select(lexeme => new LexemeCount(lexeme.Text, Math.Max(1, lexeme.Count)))],
                new StoredPassage(passage, reader.GetString(10), reader.GetFieldValue<DateTimeOffset>(11)),
                reader.GetInt32(12));
        }
    }
}

/// <summary>A chunk as the in-process indexes hold it: its vector, its full-text lexemes and its passage.</summary>
/// <param name="DocumentVersion">The version of its document it was made from.</param>
public sealed record IndexedChunk(VectorPoint Point, IReadOnlyList<LexemeCount> Lexemes, StoredPassage Passage, int DocumentVersion)
{
    public TextIndexEntry ToTextEntry() => new(Point.ChunkId, Point.DocumentId, Point.CollectionId, [.. Point.Tags], Lexemes);
}

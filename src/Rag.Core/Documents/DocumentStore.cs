using System.Security.Cryptography;
using Npgsql;
using NpgsqlTypes;
using Rag.Core.Identity;
using Rag.Core.Webhooks;

namespace Rag.Core.Documents;

/// <summary>Documents, their original bytes and their jobs in PostgreSQL, the system of record.</summary>
public sealed class DocumentStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Stores the bytes, a queued job and the upload's audit row in one statement, so in one transaction with one
    /// commit. The same bytes already in the collection come back as that document, with no new job and no audit row.
    /// </summary>
    public async Task<AcceptedDocument> AddAsync(
        NewDocument document, int maxAttempts, string? traceParent, AuditSource audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(audit);
        var sha256 = SHA256.HashData(document.Content.Span);

        await using var insert = dataSource.CreateCommand(AddSql);
        var documentId = Guid.CreateVersion7();
        var jobId = Guid.CreateVersion7();
        insert.Parameters.Add(new() { Value = documentId });
        insert.Parameters.Add(new() { Value = document.CollectionId });
        insert.Parameters.Add(new() { Value = document.Title });
        insert.Parameters.Add(new() { Value = document.FileName });
        insert.Parameters.Add(new() { Value = document.ContentType });
        insert.Parameters.Add(new() { Value = (long)document.Content.Length });
        insert.Parameters.Add(new() { Value = sha256 });
        insert.Parameters.Add(new() { Value = document.Tags.ToArray() });
        insert.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Uuid, Value = (object?)document.CreatedBy ?? DBNull.Value });
        insert.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Bytea, Value = document.Content });
        insert.Parameters.Add(new() { Value = jobId });
        insert.Parameters.Add(new() { Value = maxAttempts });
        insert.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)traceParent ?? DBNull.Value });
        insert.Parameters.Add(new() { Value = audit.Actor });
        insert.Parameters.Add(new() { Value = document.CollectionName });
        insert.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)audit.RequestId ?? DBNull.Value });
        insert.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Inet, Value = (object?)audit.ClientIp ?? DBNull.Value });

        return (long)(await insert.ExecuteScalarAsync(cancellationToken))! == 1
            ? new AcceptedDocument(documentId, jobId, DocumentStatus.Queued, IsDuplicate: false)
            : await FindDuplicateAsync(document.CollectionId, sha256, cancellationToken);
    }

    // One round trip: the sub-statements share one snapshot, and the foreign keys of the contents and the job are
    // checked at the end of the statement, when the document row exists. A duplicate inserts nothing at all.
    private static readonly string AddSql =
        $$"""
        WITH document AS (
            INSERT INTO documents (id, collection_id, title, file_name, content_type, size_bytes, content_sha256, tags, created_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT ON CONSTRAINT documents_collection_content_key DO NOTHING
            RETURNING id
        ),
        content AS (
            INSERT INTO document_contents (document_id, content) SELECT id, $10 FROM document
        ),
        job AS (
            INSERT INTO jobs (id, document_id, kind, max_attempts, trace_parent) SELECT $11, id, 'ingest', $12, $13 FROM document
        ),
        audit AS (
        {{AuditLog.Insert(
            "SELECT $14, 'document.uploaded', id::text, jsonb_build_object('collection', $15::text, 'file_name', $4, 'size_bytes', $6), $16, $17 FROM document")}}
        )
        SELECT count(*) FROM document
        """;

    public async Task<DocumentRecord?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(SelectDocuments + " WHERE d.id = $1");
        command.Parameters.Add(new() { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadDocument(reader) : null;
    }

    public async Task<DocumentPage> ListAsync(DocumentQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var command = dataSource.CreateCommand(
            SelectDocuments +
            """
             WHERE ($1::text IS NULL OR c.name = $1)
               AND ($2::text IS NULL OR d.status = $2)
               AND ($3::text IS NULL OR d.tags @> ARRAY[$3])
               AND ($6::uuid[] IS NULL OR d.collection_id = ANY($6))
             ORDER BY d.created_at DESC, d.id
             LIMIT $4 OFFSET $5
            """);
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)query.CollectionName ?? DBNull.Value });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)query.Status ?? DBNull.Value });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)query.Tag ?? DBNull.Value });
        command.Parameters.Add(new() { Value = query.PageSize });
        command.Parameters.Add(new() { Value = (query.Page - 1) * query.PageSize });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid, Value = (object?)query.AllowedCollectionIds?.ToArray() ?? DBNull.Value });

        var items = new List<DocumentRecord>();
        long total = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(ReadDocument(reader));
            total = reader.GetInt64(reader.FieldCount - 1);
        }

        if (items.Count == 0 && query.Page > 1)
        {
            // Past the last page the window function has no row to report the total on.
            total = await CountAsync(query, cancellationToken);
        }

        return new DocumentPage(items, query.Page, query.PageSize, total);
    }

    /// <summary>Deletes the document with its bytes, chunks and jobs; a worker holding its job notices and stops.</summary>
    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            $$"""
            WITH deleted AS (DELETE FROM documents WHERE id = $1 RETURNING id),
            announced AS (
            {{WebhookEvents.OutboxInsert("SELECT 'document.deleted' AS event, id AS document_id FROM deleted")}}
            )
            SELECT count(*) FROM deleted
            """);
        command.Parameters.Add(new() { Value = id });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! == 1;
    }

    /// <summary>Queues a new version of the document built from the same bytes; older jobs of it are cancelled.</summary>
    public async Task<Guid?> ReindexAsync(Guid id, int maxAttempts, string? traceParent, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var bump = new NpgsqlCommand(
            "UPDATE documents SET version = version + 1, status = 'queued', error = NULL, updated_at = now() WHERE id = $1",
            connection, transaction))
        {
            bump.Parameters.Add(new() { Value = id });
            if (await bump.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return null;
            }
        }

        await using (var cancel = new NpgsqlCommand(
            "UPDATE jobs SET status = 'cancelled', completed_at = now(), updated_at = now() WHERE document_id = $1 AND status IN ('queued', 'processing')",
            connection, transaction))
        {
            cancel.Parameters.Add(new() { Value = id });
            await cancel.ExecuteNonQueryAsync(cancellationToken);
        }

        var jobId = await InsertJobAsync(connection, transaction, id, "reindex", maxAttempts, traceParent, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return jobId;
    }

    /// <summary>The document as a worker needs it, or null when it was deleted.</summary>
    public async Task<DocumentForIndexing?> GetForIndexingAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT d.id, d.collection_id, d.version, d.title, d.file_name, d.content_type, d.tags,
                   c.chunk_size_tokens, c.chunk_overlap_tokens, dc.content
            FROM documents d
            JOIN collections c ON c.id = d.collection_id
            JOIN document_contents dc ON dc.document_id = d.id
            WHERE d.id = $1
            """);
        command.Parameters.Add(new() { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new DocumentForIndexing(
            reader.GetGuid(0), reader.GetGuid(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4),
            reader.GetString(5), reader.GetFieldValue<string[]>(6), reader.GetInt32(7), reader.GetInt32(8),
            reader.GetFieldValue<byte[]>(9));
    }

    private const string SelectDocuments =
        """
        SELECT d.id, d.collection_id, c.name, d.title, d.file_name, d.content_type, d.size_bytes, d.tags, d.status,
               d.version, d.error,
               (SELECT count(*) FROM chunks ch WHERE ch.document_id = d.id)::int,
               (SELECT j.id FROM jobs j WHERE j.document_id = d.id ORDER BY j.created_at DESC LIMIT 1),
               d.created_at, d.updated_at,
               count(*) OVER ()
        FROM documents d
        JOIN collections c ON c.id = d.collection_id
        """;

    private static DocumentRecord ReadDocument(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetGuid(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.GetString(5),
        reader.GetInt64(6),
        reader.GetFieldValue<string[]>(7),
        reader.GetString(8),
        reader.GetInt32(9),
        reader.IsDBNull(10) ? null : reader.GetString(10),
        reader.GetInt32(11),
        reader.IsDBNull(12) ? null : reader.GetGuid(12),
        reader.GetFieldValue<DateTimeOffset>(13),
        reader.GetFieldValue<DateTimeOffset>(14));

    private async Task<long> CountAsync(DocumentQuery query, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT count(*) FROM documents d JOIN collections c ON c.id = d.collection_id
            WHERE ($1::text IS NULL OR c.name = $1) AND ($2::text IS NULL OR d.status = $2) AND ($3::text IS NULL OR d.tags @> ARRAY[$3])
              AND ($4::uuid[] IS NULL OR d.collection_id = ANY($4))
            """);
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)query.CollectionName ?? DBNull.Value });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)query.Status ?? DBNull.Value });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)query.Tag ?? DBNull.Value });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid, Value = (object?)query.AllowedCollectionIds?.ToArray() ?? DBNull.Value });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    // The insert found the conflicting row committed (ON CONFLICT waits for a concurrent upload of the same bytes).
    private async Task<AcceptedDocument> FindDuplicateAsync(Guid collectionId, byte[] sha256, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT d.id, (SELECT j.id FROM jobs j WHERE j.document_id = d.id ORDER BY j.created_at DESC LIMIT 1)
            FROM documents d WHERE d.collection_id = $1 AND d.content_sha256 = $2
            """);
        command.Parameters.Add(new() { Value = collectionId });
        command.Parameters.Add(new() { Value = sha256 });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new AcceptedDocument(reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetGuid(1), DocumentStatus.Duplicate, IsDuplicate: true);
    }

    private static async Task<Guid> InsertJobAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid documentId, string kind, int maxAttempts, string? traceParent, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO jobs (id, document_id, kind, max_attempts, trace_parent) VALUES ($1, $2, $3, $4, $5)", connection, transaction);
        var jobId = Guid.CreateVersion7();
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = documentId });
        command.Parameters.Add(new() { Value = kind });
        command.Parameters.Add(new() { Value = maxAttempts });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)traceParent ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(cancellationToken);
        return jobId;
    }
}

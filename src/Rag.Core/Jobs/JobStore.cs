using Npgsql;
using NpgsqlTypes;
using Rag.Core.Webhooks;

namespace Rag.Core.Jobs;

public static class JobStatus
{
    public const string Queued = "queued";
    public const string Processing = "processing";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static bool IsFinal(string status) => status is Completed or Failed or Cancelled;
}

public sealed record JobRecord(
    Guid Id,
    Guid DocumentId,
    string Kind,
    string Status,
    float Progress,
    int Attempts,
    int MaxAttempts,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    DateTimeOffset UpdatedAt);

/// <summary>A job this worker now holds: nobody else will process it while the worker keeps its heartbeat.</summary>
public sealed record ClaimedJob(Guid Id, Guid DocumentId, int Attempt, int MaxAttempts, string? TraceParent);

public sealed record DispatchableJob(Guid Id, string? TraceParent);

/// <summary>
/// The jobs table is the truth about work; Redis only carries wake-ups. A job is claimed by a conditional
/// update, so a job delivered twice (a reclaimed message, a re-dispatch) is still processed by one worker at a time.
/// </summary>
public sealed class JobStore(NpgsqlDataSource dataSource)
{
    public async Task<JobRecord?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT id, document_id, kind, status, progress, attempts, max_attempts, error, created_at, started_at, completed_at, updated_at
            FROM jobs WHERE id = $1
            """);
        command.Parameters.Add(new() { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new JobRecord(
            reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetFloat(4),
            reader.GetInt32(5), reader.GetInt32(6), reader.IsDBNull(7) ? null : reader.GetString(7),
            reader.GetFieldValue<DateTimeOffset>(8),
            reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9),
            reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
            reader.GetFieldValue<DateTimeOffset>(11));
    }

    /// <summary>
    /// Takes the job if it is queued, or if the worker that held it has been silent for <paramref name="staleAfter"/>
    /// (it died). Returns null when the job is not this worker's to run: finished, cancelled, held by a live
    /// worker, or out of attempts (then it is marked failed with its last error).
    /// </summary>
    public async Task<ClaimedJob?> TryClaimAsync(Guid jobId, string workerId, TimeSpan staleAfter, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var claim = new NpgsqlCommand(
            """
            UPDATE jobs
            SET status = 'processing', attempts = attempts + 1, worker_id = $2, progress = 0,
                started_at = coalesce(started_at, now()), updated_at = now(),
                error = CASE WHEN status = 'processing'
                             THEN 'Attempt ' || attempts || ' was interrupted: its worker stopped responding.'
                             ELSE error END
            WHERE id = $1 AND (status = 'queued' OR (status = 'processing' AND updated_at < now() - $3))
            RETURNING document_id, attempts, max_attempts, trace_parent, error
            """, connection, transaction);
        claim.Parameters.Add(new() { Value = jobId });
        claim.Parameters.Add(new() { Value = workerId });
        claim.Parameters.Add(new() { Value = staleAfter });

        Guid documentId;
        int attempt, maxAttempts;
        string? traceParent, lastError;
        await using (var reader = await claim.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            (documentId, attempt, maxAttempts) = (reader.GetGuid(0), reader.GetInt32(1), reader.GetInt32(2));
            traceParent = reader.IsDBNull(3) ? null : reader.GetString(3);
            lastError = reader.IsDBNull(4) ? null : reader.GetString(4);
        }

        if (attempt > maxAttempts)
        {
            await FinishAsync(connection, transaction, jobId, documentId, JobStatus.Failed,
                $"Gave up after {maxAttempts} attempts. Last error: {lastError ?? "unknown"}", cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return null;
        }

        await using (var document = new NpgsqlCommand(
            "UPDATE documents SET status = 'processing', updated_at = now() WHERE id = $1", connection, transaction))
        {
            document.Parameters.Add(new() { Value = documentId });
            await document.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new ClaimedJob(jobId, documentId, attempt, maxAttempts, traceParent);
    }

    /// <summary>Records progress and proves the worker is alive. False when the job is no longer this worker's (cancelled, deleted, reclaimed).</summary>
    public async Task<bool> HeartbeatAsync(Guid jobId, string workerId, float progress, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE jobs SET progress = $3, updated_at = now() WHERE id = $1 AND worker_id = $2 AND status = 'processing'");
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = workerId });
        command.Parameters.Add(new() { Value = Math.Clamp(progress, 0f, 1f) });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Records a failed attempt. A permanent failure (the file itself is bad) or the last allowed attempt fails the
    /// job and its document; otherwise the job goes back to the queue for the sweeper to dispatch after a pause.
    /// </summary>
    public async Task<string> FailAttemptAsync(Guid jobId, string workerId, string error, bool permanent, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            $$"""
            WITH failed AS (
                UPDATE jobs
                SET status = CASE WHEN $4 OR attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                    error = $3, updated_at = now(), worker_id = NULL,
                    completed_at = CASE WHEN $4 OR attempts >= max_attempts THEN now() END
                WHERE id = $1 AND worker_id = $2 AND status = 'processing'
                RETURNING document_id, status
            ),
            announced AS (
            {{WebhookEvents.OutboxInsert("SELECT 'document.failed' AS event, document_id FROM failed WHERE status = 'failed'")}}
            )
            UPDATE documents d
            SET status = CASE WHEN f.status = 'failed' THEN 'failed' ELSE 'queued' END,
                error = CASE WHEN f.status = 'failed' THEN $3 END, updated_at = now()
            FROM failed f WHERE d.id = f.document_id
            RETURNING f.status
            """);
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = workerId });
        command.Parameters.Add(new() { Value = error });
        command.Parameters.Add(new() { Value = permanent });
        return await command.ExecuteScalarAsync(cancellationToken) as string ?? JobStatus.Cancelled;
    }

    /// <summary>Hands a job back untouched (a graceful shutdown): the attempt does not count against it.</summary>
    public async Task ReleaseAsync(Guid jobId, string workerId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            """
            WITH released AS (
                UPDATE jobs SET status = 'queued', attempts = greatest(attempts - 1, 0), worker_id = NULL, progress = 0,
                                updated_at = '-infinity'
                WHERE id = $1 AND worker_id = $2 AND status = 'processing'
                RETURNING document_id
            )
            UPDATE documents d SET status = 'queued', updated_at = now() FROM released r WHERE d.id = r.document_id
            """);
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = workerId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Jobs whose dispatch message may be lost: queued for longer than <paramref name="queuedFor"/> (Redis lost the
    /// message, or a retry is due), or processing without a heartbeat for <paramref name="silentFor"/> (the worker
    /// died and Redis lost its pending entry). They are marked queued again and returned for re-dispatch.
    /// </summary>
    public async Task<IReadOnlyList<DispatchableJob>> TakeStrandedAsync(TimeSpan queuedFor, TimeSpan silentFor, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE jobs j
            SET status = 'queued', updated_at = now(), worker_id = NULL,
                error = CASE WHEN j.status = 'processing'
                             THEN 'Attempt ' || j.attempts || ' was interrupted: its worker stopped responding.'
                             ELSE j.error END
            WHERE j.id IN (
                SELECT id FROM jobs
                WHERE (status = 'queued' AND updated_at < now() - $1) OR (status = 'processing' AND updated_at < now() - $2)
                ORDER BY updated_at
                LIMIT $3
                FOR UPDATE SKIP LOCKED)
            RETURNING j.id, j.trace_parent
            """);
        command.Parameters.Add(new() { Value = queuedFor });
        command.Parameters.Add(new() { Value = silentFor });
        command.Parameters.Add(new() { Value = limit });
        var jobs = new List<DispatchableJob>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            jobs.Add(new DispatchableJob(reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
        }

        return jobs;
    }

    internal static async Task FinishAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid jobId, Guid documentId, string status, string? error, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $$"""
            WITH finished AS (
                UPDATE jobs SET status = $3, error = $4, progress = CASE WHEN $3 = 'completed' THEN 1 ELSE progress END,
                                completed_at = now(), updated_at = now(), worker_id = NULL
                WHERE id = $1
            ),
            announced AS (
            {{WebhookEvents.OutboxInsert("SELECT 'document.' || $3 AS event, $2::uuid AS document_id WHERE $3 IN ('completed', 'failed')")}}
            )
            UPDATE documents SET status = $3, error = $4, updated_at = now() WHERE id = $2
            """, connection, transaction);
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = documentId });
        command.Parameters.Add(new() { Value = status });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)error ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

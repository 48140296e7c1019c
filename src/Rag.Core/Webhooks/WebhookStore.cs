using Npgsql;
using NpgsqlTypes;

namespace Rag.Core.Webhooks;

public sealed record Webhook(Guid Id, Guid? OwnerUserId, string Url, IReadOnlyList<string> Events, DateTimeOffset CreatedAt, DateTimeOffset? DisabledAt);

public sealed record WebhookDelivery(
    Guid Id, string Event, string Status, int Attempts, int? LastStatusCode, string? LastError, DateTimeOffset CreatedAt, DateTimeOffset NextAttemptAt, DateTimeOffset? DeliveredAt);

/// <summary>A due delivery taken by one sender, with what it needs to sign and send it.</summary>
public sealed record DueDelivery(Guid Id, Guid WebhookId, string Event, string Payload, int Attempt, string Url, string Secret);

/// <summary>Webhooks and their delivery outbox (the events themselves are enqueued by the stores that make them happen).</summary>
public sealed class WebhookStore(NpgsqlDataSource dataSource)
{
    private const string SelectWebhooks = "SELECT id, owner_user_id, url, events, created_at, disabled_at FROM webhooks";

    public async Task<Webhook> AddAsync(Guid? ownerUserId, Uri url, IReadOnlyList<string> events, string secret, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        await using var command = dataSource.CreateCommand(
            "INSERT INTO webhooks (owner_user_id, url, secret, events) VALUES ($1, $2, $3, $4) RETURNING id, owner_user_id, url, events, created_at, disabled_at");
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Uuid, Value = (object?)ownerUserId ?? DBNull.Value });
        command.Parameters.Add(new() { Value = url.ToString() });
        command.Parameters.Add(new() { Value = secret });
        command.Parameters.Add(new() { Value = events.ToArray() });
        return (await ReadWebhooksAsync(command, cancellationToken)).Single();
    }

    /// <summary>The owner's webhooks; every webhook when <paramref name="ownerUserId"/> is null (an admin, or no authentication yet).</summary>
    public async Task<IReadOnlyList<Webhook>> ListAsync(Guid? ownerUserId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(SelectWebhooks + " WHERE $1::uuid IS NULL OR owner_user_id = $1 ORDER BY created_at");
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Uuid, Value = (object?)ownerUserId ?? DBNull.Value });
        return await ReadWebhooksAsync(command, cancellationToken);
    }

    public async Task<Webhook?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(SelectWebhooks + " WHERE id = $1");
        command.Parameters.Add(new() { Value = id });
        return (await ReadWebhooksAsync(command, cancellationToken)).SingleOrDefault();
    }

    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM webhooks WHERE id = $1");
        command.Parameters.Add(new() { Value = id });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<IReadOnlyList<WebhookDelivery>> ListDeliveriesAsync(Guid webhookId, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT id, event, status, attempts, last_status_code, last_error, created_at, next_attempt_at, delivered_at
            FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY created_at DESC LIMIT $2
            """);
        command.Parameters.Add(new() { Value = webhookId });
        command.Parameters.Add(new() { Value = limit });
        var deliveries = new List<WebhookDelivery>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            deliveries.Add(new WebhookDelivery(
                reader.GetGuid(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetInt32(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.GetFieldValue<DateTimeOffset>(6),
                reader.GetFieldValue<DateTimeOffset>(7),
                reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8)));
        }

        return deliveries;
    }

    /// <summary>
    /// Takes up to <paramref name="limit"/> due deliveries for this sender. SKIP LOCKED lets senders in other
    /// replicas take others; pushing next_attempt_at out by <paramref name="lease"/> keeps a delivery from being
    /// sent twice at once, and brings it back should this sender die mid-send.
    /// </summary>
    public async Task<IReadOnlyList<DueDelivery>> TakeDueAsync(int limit, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            """
            WITH due AS (
                SELECT id FROM webhook_deliveries
                WHERE status = 'pending' AND next_attempt_at <= now()
                ORDER BY next_attempt_at
                LIMIT $1
                FOR UPDATE SKIP LOCKED
            )
            UPDATE webhook_deliveries d
            SET attempts = d.attempts + 1, next_attempt_at = now() + $2
            FROM due, webhooks w
            WHERE d.id = due.id AND w.id = d.webhook_id
            RETURNING d.id, d.webhook_id, d.event, d.payload::text, d.attempts, w.url, w.secret
            """);
        command.Parameters.Add(new() { Value = limit });
        command.Parameters.Add(new() { Value = lease });
        var due = new List<DueDelivery>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            due.Add(new DueDelivery(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4), reader.GetString(5), reader.GetString(6)));
        }

        return due;
    }

    public async Task MarkDeliveredAsync(Guid deliveryId, int statusCode, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(), last_status_code = $2, last_error = NULL WHERE id = $1");
        command.Parameters.Add(new() { Value = deliveryId });
        command.Parameters.Add(new() { Value = statusCode });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Records a failed attempt: retried after <paramref name="retryAfter"/>, or failed for good when null.</summary>
    public async Task MarkAttemptFailedAsync(Guid deliveryId, int? statusCode, string error, TimeSpan? retryAfter, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE webhook_deliveries
            SET status = CASE WHEN $4::interval IS NULL THEN 'failed' ELSE 'pending' END,
                next_attempt_at = coalesce(now() + $4, next_attempt_at), last_status_code = $2, last_error = $3
            WHERE id = $1
            """);
        command.Parameters.Add(new() { Value = deliveryId });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Integer, Value = (object?)statusCode ?? DBNull.Value });
        command.Parameters.Add(new() { Value = error });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Interval, Value = (object?)retryAfter ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<IReadOnlyList<Webhook>> ReadWebhooksAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var webhooks = new List<Webhook>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            webhooks.Add(new Webhook(
                reader.GetGuid(0),
                reader.IsDBNull(1) ? null : reader.GetGuid(1),
                reader.GetString(2),
                reader.GetFieldValue<string[]>(3),
                reader.GetFieldValue<DateTimeOffset>(4),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5)));
        }

        return webhooks;
    }
}

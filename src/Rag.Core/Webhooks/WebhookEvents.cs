namespace Rag.Core.Webhooks;

/// <summary>The events a webhook may subscribe to.</summary>
public static class WebhookEvents
{
    public const string DocumentCompleted = "document.completed";
    public const string DocumentFailed = "document.failed";
    public const string DocumentDeleted = "document.deleted";

    public static IReadOnlyList<string> All { get; } = [DocumentCompleted, DocumentFailed, DocumentDeleted];

    /// <summary>
    /// The outbox insert, for the stores' own statements and transactions: one delivery per enabled webhook
    /// subscribed to the event, written in the transaction that makes the event true, so neither exists without
    /// the other. <paramref name="eventRowsSql"/> is a SELECT yielding columns <c>event</c> and <c>document_id</c>.
    /// </summary>
    internal static string OutboxInsert(string eventRowsSql) =>
        $"""
        INSERT INTO webhook_deliveries (webhook_id, event, payload)
        SELECT w.id, e.event, jsonb_build_object('event', e.event, 'document_id', e.document_id, 'occurred_at', now())
        FROM ({eventRowsSql}) AS e JOIN webhooks w ON w.disabled_at IS NULL AND e.event = ANY (w.events)
        """;
}

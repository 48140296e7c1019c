using System.Net;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Rag.Core.Identity;

/// <summary>Who acted, and from which request and address: the part of an audit row that the request decides.</summary>
public sealed record AuditSource(string Actor, string? RequestId, IPAddress? ClientIp);

/// <summary>
/// Who did what, kept in the audit_log table: sign-ins, key use, uploads, deletions and admin actions. Uploads write
/// their row in the upload's own statement (DocumentStore.AddAsync), so an upload is never stored unaudited.
/// </summary>
public sealed class AuditLog(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// The audit insert, for a store's own statement and transaction (as the upload's), so the row commits with what it
    /// records. <paramref name="rowsSql"/> is a SELECT or VALUES yielding, in order: actor, action, target (text),
    /// detail (jsonb), request_id (text) and client_ip (inet).
    /// </summary>
    internal static string Insert(string rowsSql) =>
        $"INSERT INTO audit_log (actor, action, target, detail, request_id, client_ip) {rowsSql}";

    private static readonly string WriteSql = Insert("VALUES ($1, $2, $3, $4, $5, $6)");

    /// <param name="detail">Serialised as JSON; never put secrets or document text in it.</param>
    public async Task WriteAsync(
        string actor, string action, string? target, object? detail, string? requestId, IPAddress? clientIp, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(action);
        await using var command = dataSource.CreateCommand(WriteSql);
        command.Parameters.Add(new() { Value = actor });
        command.Parameters.Add(new() { Value = action });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)target ?? DBNull.Value });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = detail is null ? DBNull.Value : JsonSerializer.Serialize(detail) });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)requestId ?? DBNull.Value });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Inet, Value = (object?)clientIp ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

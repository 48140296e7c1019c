using Npgsql;

namespace Rag.Core.Identity;

public sealed record ApiKeyRecord(Guid Id, Guid UserId, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>The key itself, returned once when it is created and never again.</summary>
public sealed record CreatedApiKey(ApiKeyRecord Record, string Key);

/// <param name="RecordedUse">True when this use was written to last_used_at (at most once a minute per key).</param>
public sealed record AuthenticatedApiKey(Caller Caller, bool RecordedUse);

public sealed class ApiKeyStore(NpgsqlDataSource dataSource)
{
    // last_used_at is informational: writing it at most once a minute keeps key use from costing a write per request.
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    public async Task<CreatedApiKey> CreateAsync(Guid userId, string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var key = ApiKeySecrets.Generate();
        await using var command = dataSource.CreateCommand(
            "INSERT INTO api_keys (user_id, name, prefix, key_hash) VALUES ($1, $2, $3, $4) RETURNING " + Columns);
        command.Parameters.Add(new() { Value = userId });
        command.Parameters.Add(new() { Value = name });
        command.Parameters.Add(new() { Value = ApiKeySecrets.PrefixOf(key) });
        command.Parameters.Add(new() { Value = ApiKeySecrets.HashKey(key) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new CreatedApiKey(Read(reader), key);
    }

    /// <summary>The caller a key stands for, or null when the key is unknown, revoked or its user disabled.</summary>
    public async Task<AuthenticatedApiKey?> AuthenticateAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        await using var command = dataSource.CreateCommand(
            """
            SELECT k.id, u.id, u.user_name, u.role, k.last_used_at
            FROM api_keys k JOIN users u ON u.id = k.user_id
            WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND u.disabled_at IS NULL
            """);
        command.Parameters.Add(new() { Value = ApiKeySecrets.HashKey(key) });
        Caller caller;
        DateTimeOffset? lastUsed;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            caller = new Caller(reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetGuid(0));
            lastUsed = reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4);
        }

        if (lastUsed is null || DateTimeOffset.UtcNow - lastUsed > LastUsedResolution)
        {
            await using var touch = dataSource.CreateCommand("UPDATE api_keys SET last_used_at = now() WHERE id = $1");
            touch.Parameters.Add(new() { Value = caller.ApiKeyId!.Value });
            await touch.ExecuteNonQueryAsync(cancellationToken);
            return new AuthenticatedApiKey(caller, RecordedUse: true);
        }

        return new AuthenticatedApiKey(caller, RecordedUse: false);
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(Guid? userId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT " + Columns + " FROM api_keys WHERE ($1::uuid IS NULL OR user_id = $1) ORDER BY created_at DESC");
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid, Value = (object?)userId ?? DBNull.Value });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var keys = new List<ApiKeyRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(Read(reader));
        }

        return keys;
    }

    public async Task<bool> RevokeAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1");
        command.Parameters.Add(new() { Value = id });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private const string Columns = "id, user_id, name, prefix, created_at, last_used_at, revoked_at";

    private static ApiKeyRecord Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4),
        reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
        reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6));
}

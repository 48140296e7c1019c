using Npgsql;
using Rag.Core.Caching;

namespace Rag.Core.Identity;

public static class CollectionPermission
{
    public const string Read = "read";
    public const string Write = "write";
}

public static class PrincipalKind
{
    public const string User = "user";
    public const string ApiKey = "api_key";
}

/// <summary>
/// Which collections a caller may see. Admins see all. Everyone else sees the collections granted to their user or to
/// the API key they call with ("write" includes "read"). Whoever creates a collection by uploading into it gets "write" on it.
/// </summary>
/// <remarks>
/// What a caller may see is remembered for <c>grantsLifetime</c> (the caller cache's lifetime, a few seconds), since
/// every search and answer asks. A grant, revocation or new collection made through this replica is seen at once;
/// one made through another replica within that lifetime, as for the callers themselves.
/// </remarks>
public sealed class CollectionAccessStore(NpgsqlDataSource dataSource, TimeProvider time, TimeSpan grantsLifetime)
{
    private readonly ShortLivedCache<(Guid UserId, Guid? ApiKeyId, string Permission), Guid[]> _grants = new(time, grantsLifetime);

    /// <summary>The ids of the collections the caller may read (or write), or null when the caller may read every collection.</summary>
    public async Task<IReadOnlyList<Guid>?> GetAllowedAsync(Caller caller, string permission, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.IsAdmin)
        {
            return null;
        }

        // Never null for anyone else: null would mean every collection.
        return await _grants.GetOrReadAsync((caller.UserId, caller.ApiKeyId, permission), token => ReadAllowedAsync(caller, permission, token), cancellationToken) ?? [];
    }

    private async Task<Guid[]?> ReadAllowedAsync(Caller caller, string permission, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT DISTINCT collection_id FROM collection_access
            WHERE ((principal_kind = 'user' AND principal_id = $1) OR (principal_kind = 'api_key' AND principal_id = $2))
              AND ($3 = 'read' OR permission = 'write')
            """);
        command.Parameters.Add(new() { Value = caller.UserId });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid, Value = (object?)caller.ApiKeyId ?? DBNull.Value });
        command.Parameters.Add(new() { Value = permission });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new List<Guid>();
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetGuid(0));
        }

        return [.. ids];
    }

    public async Task<bool> CanAccessAsync(Caller caller, Guid collectionId, string permission, CancellationToken cancellationToken = default) =>
        await GetAllowedAsync(caller, permission, cancellationToken) is not { } allowed || allowed.Contains(collectionId);

    /// <summary>
    /// The id of the named collection when the caller may upload into it: it exists and they may write to it, or it
    /// does not exist yet and is created now with "write" granted to the caller's user. Null when they may not.
    /// </summary>
    public async Task<Guid?> GetWritableCollectionAsync(Caller caller, string collectionName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(collectionName);

        // Uploads go to existing collections nearly always: one read decides, and only a missing collection costs a
        // transaction. When another upload creates it meanwhile, the insert yields nothing and the next read sees it.
        while (true)
        {
            await using (var find = dataSource.CreateCommand(
                """
                SELECT c.id, $4 OR EXISTS (
                    SELECT 1 FROM collection_access a
                    WHERE a.collection_id = c.id AND a.permission = 'write'
                      AND ((a.principal_kind = 'user' AND a.principal_id = $2) OR (a.principal_kind = 'api_key' AND a.principal_id = $3)))
                FROM collections c WHERE c.name = $1
                """))
            {
                find.Parameters.Add(new() { Value = collectionName });
                find.Parameters.Add(new() { Value = caller.UserId });
                find.Parameters.Add(new() { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid, Value = (object?)caller.ApiKeyId ?? DBNull.Value });
                find.Parameters.Add(new() { Value = caller.IsAdmin });
                await using var reader = await find.ExecuteReaderAsync(cancellationToken);
                if (await reader.ReadAsync(cancellationToken))
                {
                    return reader.GetBoolean(1) ? reader.GetGuid(0) : null;
                }
            }

            if (await TryCreateAsync(caller, collectionName, cancellationToken) is { } created)
            {
                return created;
            }
        }
    }

    private async Task<Guid?> TryCreateAsync(Caller caller, string collectionName, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var create = new NpgsqlCommand("INSERT INTO collections (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id", connection, transaction))
        {
            create.Parameters.Add(new() { Value = collectionName });
            if (await create.ExecuteScalarAsync(cancellationToken) is not Guid id)
            {
                return null;
            }

            await using var grant = new NpgsqlCommand(
                "INSERT INTO collection_access (collection_id, principal_kind, principal_id, permission) VALUES ($1, 'user', $2, 'write')",
                connection, transaction);
            grant.Parameters.Add(new() { Value = id });
            grant.Parameters.Add(new() { Value = caller.UserId });
            await grant.ExecuteNonQueryAsync(cancellationToken);
            try
            {
                await transaction.CommitAsync(cancellationToken);
            }
            finally
            {
                ForgetGrants();
            }

            return id;
        }
    }

    public async Task<Guid?> GetIdAsync(string collectionName, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT id FROM collections WHERE name = $1");
        command.Parameters.Add(new() { Value = collectionName });
        return await command.ExecuteScalarAsync(cancellationToken) as Guid?;
    }

    /// <summary>Grants (or changes) a principal's permission on a collection.</summary>
    public async Task GrantAsync(Guid collectionId, string principalKind, Guid principalId, string permission, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO collection_access (collection_id, principal_kind, principal_id, permission) VALUES ($1, $2, $3, $4)
            ON CONFLICT (collection_id, principal_kind, principal_id) DO UPDATE SET permission = EXCLUDED.permission
            """);
        command.Parameters.Add(new() { Value = collectionId });
        command.Parameters.Add(new() { Value = principalKind });
        command.Parameters.Add(new() { Value = principalId });
        command.Parameters.Add(new() { Value = permission });
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            // Even when the caller gave up: the statement may have committed all the same.
            ForgetGrants();
        }
    }

    public async Task<bool> RevokeAsync(Guid collectionId, string principalKind, Guid principalId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "DELETE FROM collection_access WHERE collection_id = $1 AND principal_kind = $2 AND principal_id = $3");
        command.Parameters.Add(new() { Value = collectionId });
        command.Parameters.Add(new() { Value = principalKind });
        command.Parameters.Add(new() { Value = principalId });
        try
        {
            return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
        }
        finally
        {
            ForgetGrants();
        }
    }

    // Changes of access are rare (an administrator's grant, a new collection): forgetting everything is simplest.
    private void ForgetGrants() => _grants.ForgetAll();
}

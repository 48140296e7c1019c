using Npgsql;

namespace Rag.Core.Identity;

public sealed record UserRecord(Guid Id, string UserName, string Role, DateTimeOffset CreatedAt, DateTimeOffset? DisabledAt);

public sealed class DuplicateUserNameException(string userName) : Exception($"A user named '{userName}' already exists.");

/// <summary>Users in PostgreSQL; user names compare without regard to case.</summary>
public sealed class UserStore(NpgsqlDataSource dataSource)
{
    public async Task<UserRecord> CreateAsync(string userName, string password, string role, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userName);
        ArgumentNullException.ThrowIfNull(password);
        await using var command = dataSource.CreateCommand(
            "INSERT INTO users (user_name, password_hash, role) VALUES ($1, $2, $3) RETURNING id, user_name, role, created_at, disabled_at");
        command.Parameters.Add(new() { Value = userName });
        command.Parameters.Add(new() { Value = PasswordHashing.Hash(password) });
        command.Parameters.Add(new() { Value = role });
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return Read(reader);
        }
        catch (PostgresException error) when (error.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new DuplicateUserNameException(userName);
        }
    }

    /// <summary>The user if the name and password match an enabled account; the hash is checked even for unknown names so timing does not tell.</summary>
    public async Task<UserRecord?> VerifyPasswordAsync(string userName, string password, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userName);
        ArgumentNullException.ThrowIfNull(password);
        await using var command = dataSource.CreateCommand(
            "SELECT id, user_name, role, created_at, disabled_at, password_hash FROM users WHERE lower(user_name) = lower($1)");
        command.Parameters.Add(new() { Value = userName });
        UserRecord? user = null;
        var storedHash = UnknownUserHash;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                user = Read(reader);
                storedHash = reader.GetString(5);
            }
        }

        if (!PasswordHashing.Verify(password, storedHash) || user is not { DisabledAt: null })
        {
            return null;
        }

        // The password is at hand only now: the moment to bring an older, cheaper hash up to today's cost.
        if (PasswordHashing.NeedsRehash(storedHash))
        {
            await using var upgrade = dataSource.CreateCommand("UPDATE users SET password_hash = $2 WHERE id = $1");
            upgrade.Parameters.Add(new() { Value = user.Id });
            upgrade.Parameters.Add(new() { Value = PasswordHashing.Hash(password) });
            await upgrade.ExecuteNonQueryAsync(cancellationToken);
        }

        return user;
    }

    public async Task<UserRecord?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT id, user_name, role, created_at, disabled_at FROM users WHERE id = $1");
        command.Parameters.Add(new() { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async Task<IReadOnlyList<UserRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT id, user_name, role, created_at, disabled_at FROM users ORDER BY lower(user_name)");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var users = new List<UserRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            users.Add(Read(reader));
        }

        return users;
    }

    public async Task<UserRecord?> SetRoleAsync(Guid id, string role, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE users SET role = $2 WHERE id = $1 RETURNING id, user_name, role, created_at, disabled_at");
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = role });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Disables the user: tokens already issued stop working at the next request, as do the user's API keys.</summary>
    public async Task<UserRecord?> DisableAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE users SET disabled_at = coalesce(disabled_at, now()) WHERE id = $1 RETURNING id, user_name, role, created_at, disabled_at");
        command.Parameters.Add(new() { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Creates the admin if no user has that name; an existing account is left as it is.</summary>
    public async Task<bool> EnsureAdminAsync(string userName, string password, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO users (user_name, password_hash, role) VALUES ($1, $2, 'admin') ON CONFLICT (lower(user_name)) DO NOTHING");
        command.Parameters.Add(new() { Value = userName });
        command.Parameters.Add(new() { Value = PasswordHashing.Hash(password) });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    // A real hash of a random password, so an unknown user name costs as much time as a wrong password.
    private static readonly string UnknownUserHash = PasswordHashing.Hash(Guid.NewGuid().ToString());

    private static UserRecord Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
        reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4));
}

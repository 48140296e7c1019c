using Microsoft.Extensions.Logging;
using Npgsql;

namespace Rag.Core.Storage;

// Creates the database when it is missing, then applies the embedded migrations in version order.
// Safe to run from several replicas at once: creation tolerates losing the race, and migrations run
// under a session-level advisory lock, each in its own transaction, recorded in schema_migrations.
internal sealed partial class DatabaseMigrator
{
    // Any fixed number works; it only has to be the same for every replica migrating this database.
    internal const long MigrationLockKey = 0x52_61_67_4D_69_67_72_61; // "RagMigra"

    private const string MaintenanceDatabase = "postgres";

    private readonly string _connectionString;
    private readonly IReadOnlyList<Migration> _migrations;
    private readonly ILogger _logger;

    public DatabaseMigrator(string connectionString, IReadOnlyList<Migration> migrations, ILogger<DatabaseMigrator> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(migrations);
        ArgumentNullException.ThrowIfNull(logger);

        // Unpooled sessions: migrations run once per process, and closing an unpooled session really ends it,
        // which releases the advisory lock whatever happened; a pooled one would keep holding it while idle.
        _connectionString = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;
        _migrations = migrations;
        _logger = logger;
    }

    // Returns how many migrations this call applied.
    public async Task<int> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await EnsureDatabaseExistsAsync(cancellationToken).ConfigureAwait(false);

        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);

        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({MigrationLockKey})", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    int PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, cancellationToken).ConfigureAwait(false);

        var applied = await ReadAppliedAsync(connection, cancellationToken).ConfigureAwait(false);
        var appliedCount = 0;
        foreach (var migration in _migrations)
        {
            if (applied.TryGetValue(migration.Version, out var recordedChecksum))
            {
                if (recordedChecksum != migration.Checksum)
                {
                    throw new DatabaseMigrationException(
                        $"Migration {migration.Version:D4}_{migration.Name} was changed after it was applied to database '{connection.Database}' " +
                        $"(recorded checksum {recordedChecksum}, script checksum {migration.Checksum}). " +
                        "Applied migrations must never be edited; add a new migration instead.");
                }

                continue;
            }

            await ApplyAsync(connection, migration, cancellationToken).ConfigureAwait(false);
            appliedCount++;
        }

        LogSchemaUpToDate(_logger, connection.Database, _migrations.Count, appliedCount);
        return appliedCount;
    }

    private async Task EnsureDatabaseExistsAsync(CancellationToken cancellationToken)
    {
        var target = new NpgsqlConnectionStringBuilder(_connectionString);
        if (string.IsNullOrEmpty(target.Database) || target.Database == MaintenanceDatabase)
        {
            return;
        }

        try
        {
            await using var probe = new NpgsqlConnection(_connectionString);
            await probe.OpenAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            // Aspire's AddDatabase creates the database only when it runs the Postgres container itself.
        }

        var maintenance = new NpgsqlConnectionStringBuilder(_connectionString) { Database = MaintenanceDatabase };
        await using var connection = new NpgsqlConnection(maintenance.ConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, $"CREATE DATABASE {QuoteIdentifier(target.Database)}", cancellationToken).ConfigureAwait(false);
            LogDatabaseCreated(_logger, target.Database);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Another replica created it first. Two racing CREATE DATABASE statements may also collide on
            // pg_database's unique name index instead of reporting duplicate_database.
        }
        catch (PostgresException ex) when (!ex.IsTransient)
        {
            throw new DatabaseMigrationException(
                $"Database '{target.Database}' does not exist and could not be created: {ex.MessageText}. " +
                "Create it, or let the configured user create databases (CREATEDB).", ex);
        }
    }

    private static async Task<Dictionary<int, string>> ReadAppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var applied = new Dictionary<int, string>();
        await using var command = new NpgsqlCommand("SELECT version, checksum FROM schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            applied.Add(reader.GetInt32(0), reader.GetString(1));
        }

        return applied;
    }

    private async Task ApplyAsync(NpgsqlConnection connection, Migration migration, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, migration.Sql, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            throw new DatabaseMigrationException($"Migration {migration.Version:D4}_{migration.Name} failed: {ex.MessageText}", ex);
        }

        await using (var record = new NpgsqlCommand(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", connection))
        {
            record.Parameters.Add(new() { Value = migration.Version });
            record.Parameters.Add(new() { Value = migration.Name });
            record.Parameters.Add(new() { Value = migration.Checksum });
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        LogMigrationApplied(_logger, migration.Version, migration.Name, connection.Database);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string QuoteIdentifier(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    [LoggerMessage(Level = LogLevel.Information, Message = "Created database {Database}")]
    private static partial void LogDatabaseCreated(ILogger logger, string database);

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Version} {Name} to database {Database}")]
    private static partial void LogMigrationApplied(ILogger logger, int version, string name, string database);

    [LoggerMessage(Level = LogLevel.Information, Message = "Database {Database} schema is up to date: {Known} migrations known, {Applied} applied now")]
    private static partial void LogSchemaUpToDate(ILogger logger, string database, int known, int applied);
}

using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Rag.Core.Storage;
using Rag.Tests.Infrastructure;

namespace Rag.Tests.Storage;

[Collection(PostgresCollection.Name)]
public sealed class DatabaseMigratorTests(PostgresFixture postgres)
{
    private static readonly TimeSpan Timeout = PostgresFixture.WaitTimeout;

    [Fact]
    public async Task AppliesEveryEmbeddedMigrationToAFreshDatabase()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        var migrations = Migration.LoadEmbedded();

        var applied = await CreateMigrator(connectionString).MigrateAsync().WaitAsync(Timeout);

        Assert.NotEmpty(migrations);
        Assert.Equal(migrations.Count, applied);
        Assert.Equal(
            migrations.Select(m => (m.Version, m.Name, m.Checksum)),
            await ReadRecordedAsync(connectionString));

        string[] expectedTables =
        [
            "api_keys", "audit_log", "chunks", "collection_access", "collections", "conversations", "document_contents",
            "documents", "index_rebuilds", "index_state", "jobs", "messages", "schema_migrations", "users", "webhook_deliveries", "webhooks",
        ];
        var tables = await Sql.QueryAsync(connectionString,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
            reader => reader.GetString(0));
        Assert.Equal(expectedTables, tables);
        Assert.Equal(["default"], await Sql.QueryAsync(connectionString, "SELECT name FROM collections", reader => reader.GetString(0)));
    }

    [Fact]
    public async Task ApplyingAgainChangesNothing()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await CreateMigrator(connectionString).MigrateAsync().WaitAsync(Timeout);
        var before = await ReadAppliedAtAsync(connectionString);

        var applied = await CreateMigrator(connectionString).MigrateAsync().WaitAsync(Timeout);

        Assert.Equal(0, applied);
        Assert.Equal(before, await ReadAppliedAtAsync(connectionString));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM collections"));
    }

    [Fact]
    public async Task ConcurrentMigratorsApplyEachMigrationExactlyOnce()
    {
        var connectionString = await postgres.CreateDatabaseAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 5)
            .Select(_ => Task.Run(() => CreateMigrator(connectionString).MigrateAsync())))
            .WaitAsync(Timeout);

        var migrations = Migration.LoadEmbedded();
        Assert.Equal(migrations.Count, results.Sum());
        Assert.Equal(migrations.Count, (await ReadRecordedAsync(connectionString)).Count);
        Assert.Equal(1L, await Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM collections"));
    }

    [Fact]
    public async Task AMigrationEditedAfterItWasAppliedIsRefused()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await CreateMigrator(connectionString, Migration.Create(1, "things", "CREATE TABLE things (id int)")).MigrateAsync().WaitAsync(Timeout);

        var edited = CreateMigrator(connectionString, Migration.Create(1, "things", "CREATE TABLE things (id bigint)"));
        var error = await Assert.ThrowsAsync<DatabaseMigrationException>(() => edited.MigrateAsync().WaitAsync(Timeout));

        Assert.Contains("0001_things", error.Message, StringComparison.Ordinal);
        Assert.Contains("changed after it was applied", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFailingMigrationRollsBackAloneAndStopsTheRun()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        var migrator = CreateMigrator(connectionString,
            Migration.Create(1, "first", "CREATE TABLE first (id int)"),
            Migration.Create(2, "broken", "CREATE TABLE second (id int); SELECT no_such_function();"),
            Migration.Create(3, "third", "CREATE TABLE third (id int)"));

        var error = await Assert.ThrowsAsync<DatabaseMigrationException>(() => migrator.MigrateAsync().WaitAsync(Timeout));

        Assert.Contains("0002_broken", error.Message, StringComparison.Ordinal);
        Assert.Equal([1], (await ReadRecordedAsync(connectionString)).Select(m => m.Version));
        Assert.Equal(["first", "schema_migrations"], await Sql.QueryAsync(connectionString,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
            reader => reader.GetString(0)));
    }

    [Fact]
    public async Task CreatesTheDatabaseWhenItIsMissing()
    {
        var name = PostgresFixture.NewDatabaseName();
        var connectionString = postgres.Server.GetConnectionString(name);

        await CreateMigrator(connectionString).MigrateAsync().WaitAsync(Timeout);

        Assert.Equal(1L, await Sql.ScalarAsync<long>(
            postgres.Server.GetConnectionString("postgres"), $"SELECT count(*) FROM pg_database WHERE datname = '{name}'"));
        Assert.Equal(Migration.LoadEmbedded().Count, (await ReadRecordedAsync(connectionString)).Count);
    }

    [Fact]
    public async Task TwoReplicasCreatingTheSameMissingDatabaseBothSucceed()
    {
        var connectionString = postgres.Server.GetConnectionString(PostgresFixture.NewDatabaseName());

        var results = await Task.WhenAll(
            Task.Run(() => CreateMigrator(connectionString).MigrateAsync()),
            Task.Run(() => CreateMigrator(connectionString).MigrateAsync()))
            .WaitAsync(Timeout);

        Assert.Equal(Migration.LoadEmbedded().Count, results.Sum());
    }

    [Fact]
    public async Task AMissingDatabaseThatTheUserMayNotCreateIsAClearError()
    {
        var role = "r_" + Guid.NewGuid().ToString("N");
        await Sql.ExecuteAsync(postgres.Server.GetConnectionString("postgres"), $"CREATE ROLE {role} LOGIN NOCREATEDB PASSWORD 'secret'");
        var connectionString = $"Host=127.0.0.1;Port={postgres.Server.Port};Username={role};Password=secret;Database={PostgresFixture.NewDatabaseName()}";

        var error = await Assert.ThrowsAsync<DatabaseMigrationException>(() => CreateMigrator(connectionString).MigrateAsync().WaitAsync(Timeout));

        Assert.Contains("does not exist and could not be created", error.Message, StringComparison.Ordinal);
    }

    private static DatabaseMigrator CreateMigrator(string connectionString, params Migration[] migrations) =>
        new(connectionString, migrations.Length == 0 ? Migration.LoadEmbedded() : migrations, NullLogger<DatabaseMigrator>.Instance);

    private static Task<List<(int Version, string Name, string Checksum)>> ReadRecordedAsync(string connectionString) =>
        Sql.QueryAsync(connectionString, "SELECT version, name, checksum FROM schema_migrations ORDER BY version",
            reader => (reader.GetInt32(0), reader.GetString(1), reader.GetString(2)));

    private static Task<List<DateTime>> ReadAppliedAtAsync(string connectionString) =>
        Sql.QueryAsync(connectionString, "SELECT applied_at FROM schema_migrations ORDER BY version", reader => reader.GetDateTime(0));
}

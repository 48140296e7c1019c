using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Rag.Core.Storage;
using Rag.LocalHost.Processes;

namespace Rag.Tests.Infrastructure;

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "Postgres";
}

// One real PostgreSQL server for every database test; each test takes its own fresh database so none sees another's data.
public sealed class PostgresFixture : IAsyncLifetime
{
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(30);

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "rag-tests-pg-" + Guid.NewGuid().ToString("N"));
    private PostgresServer? _server;

    public PostgresServer Server => _server ?? throw new InvalidOperationException("The PostgreSQL fixture has not started.");

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.StartAsync(new PostgresServerOptions { DataDirectory = _dataDirectory, DisableDurability = true })
            .WaitAsync(TimeSpan.FromSeconds(90));
    }

    // A name no database has yet; the database itself is not created.
    public static string NewDatabaseName() => "t_" + Guid.NewGuid().ToString("N");

    public async Task<string> CreateDatabaseAsync()
    {
        var name = NewDatabaseName();
        await using var dataSource = NpgsqlDataSource.Create(Server.GetConnectionString("postgres"));
        await using var command = dataSource.CreateCommand($"CREATE DATABASE {name}");
        await command.ExecuteNonQueryAsync().WaitAsync(WaitTimeout);
        return Server.GetConnectionString(name);
    }

    // A fresh database with Rag's schema applied, for tests of code that reads and writes the tables.
    public async Task<string> CreateMigratedDatabaseAsync()
    {
        var connectionString = await CreateDatabaseAsync();
        await new DatabaseMigrator(connectionString, Migration.LoadEmbedded(), NullLogger<DatabaseMigrator>.Instance)
            .MigrateAsync()
            .WaitAsync(WaitTimeout);
        return connectionString;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }
}

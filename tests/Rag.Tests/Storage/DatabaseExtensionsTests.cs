using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Rag.Core;
using Rag.Core.Storage;
using Rag.LocalHost.Processes;
using Rag.Tests.Infrastructure;

namespace Rag.Tests.Storage;

[Collection(PostgresCollection.Name)]
public sealed class DatabaseExtensionsTests(PostgresFixture postgres)
{
    private static readonly TimeSpan Timeout = PostgresFixture.WaitTimeout;

    [Fact]
    public void AMissingConnectionStringFailsAtStartupNamingTheSetting()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddRagDatabase(ResourceNames.Database));

        Assert.Contains("ConnectionStrings:ragdb", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadinessStaysFalseUntilTheMigrationsAreApplied()
    {
        // The database does not exist yet: the service creates it, as it must in deployed environments.
        var connectionString = postgres.Server.GetConnectionString(PostgresFixture.NewDatabaseName());
        using var host = BuildHost(connectionString);
        var health = host.Services.GetRequiredService<HealthCheckService>();

        var before = await health.CheckHealthAsync().WaitAsync(Timeout);
        await host.StartAsync().WaitAsync(Timeout);
        await host.Services.GetRequiredService<IDatabaseMigrationStatus>().WaitUntilAppliedAsync().WaitAsync(Timeout);
        var after = await health.CheckHealthAsync().WaitAsync(Timeout);
        await host.StopAsync().WaitAsync(Timeout);

        Assert.Equal(HealthStatus.Unhealthy, before.Entries[DatabaseExtensions.MigrationsHealthCheckName].Status);
        Assert.Equal(HealthStatus.Healthy, after.Status);
        Assert.Equal(1L, await Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM collections WHERE name = 'default'"));
    }

    [Fact]
    public async Task AnAppliedMigrationWhoseScriptChangedStopsTheService()
    {
        var connectionString = await postgres.CreateMigratedDatabaseAsync();
        await Sql.ExecuteAsync(connectionString, "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1");
        using var host = BuildHost(connectionString);
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        var stopping = new TaskCompletionSource();
        lifetime.ApplicationStopping.Register(stopping.SetResult);

        await host.StartAsync().WaitAsync(Timeout);
        await stopping.Task.WaitAsync(Timeout);

        Assert.False(host.Services.GetRequiredService<IDatabaseMigrationStatus>().IsApplied);
        await host.StopAsync().WaitAsync(Timeout);
    }

    [Fact]
    public async Task MigrationsWaitForAPostgresThatStartsLater()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "rag-tests-pg-" + Guid.NewGuid().ToString("N"));
        var serverStartTimeout = TimeSpan.FromSeconds(90);
        try
        {
            int port;
            string connectionString;
            await using (var first = await PostgresServer.StartAsync(new PostgresServerOptions { DataDirectory = dataDirectory, DisableDurability = true })
                .WaitAsync(serverStartTimeout))
            {
                port = first.Port;
                connectionString = first.GetConnectionString(ResourceNames.Database);
            }

            using var host = BuildHost(connectionString, ("Database:MigrationRetryDelay", "00:00:00.200"));
            var status = host.Services.GetRequiredService<IDatabaseMigrationStatus>();
            await host.StartAsync().WaitAsync(Timeout);
            Assert.False(status.IsApplied);

            await using var restarted = await PostgresServer.StartAsync(
                new PostgresServerOptions { DataDirectory = dataDirectory, Port = port, DisableDurability = true })
                .WaitAsync(serverStartTimeout);
            await status.WaitUntilAppliedAsync().WaitAsync(Timeout);

            var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync().WaitAsync(Timeout);
            Assert.Equal(HealthStatus.Healthy, health.Status);
            await host.StopAsync().WaitAsync(Timeout);
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task PooledConnectionsSkipTheSessionResetButNeverKeepAnUncommittedTransaction()
    {
        var connectionString = await postgres.CreateMigratedDatabaseAsync();
        using var host = BuildHost(connectionString);
        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        Assert.True(new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).NoResetOnClose);

        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await using var insert = new NpgsqlCommand("INSERT INTO collections (id, name) VALUES (gen_random_uuid(), 'abandoned')", connection, transaction);
            await insert.ExecuteNonQueryAsync();

            // Returned to the pool with the transaction still open.
        }

        await using (var reused = await dataSource.OpenConnectionAsync())
        {
            await using var count = new NpgsqlCommand("SELECT count(*) FROM collections WHERE name = 'abandoned'", reused);
            Assert.Equal(0L, await count.ExecuteScalarAsync());
        }

        // A connection string that asks for the reset keeps it.
        using var resetting = BuildHost(connectionString + ";No Reset On Close=false");
        Assert.False(new NpgsqlConnectionStringBuilder(resetting.Services.GetRequiredService<NpgsqlDataSource>().ConnectionString).NoResetOnClose);
    }

    private static IHost BuildHost(string connectionString, params (string Key, string Value)[] settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(
            settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))
                .Append(KeyValuePair.Create("ConnectionStrings:ragdb", (string?)connectionString)));
        builder.AddRagDatabase(ResourceNames.Database);
        return builder.Build();
    }
}

using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using Rag.Core.Storage;
using Rag.LocalHost.Processes;
using Rag.Tests.Infrastructure;

namespace Rag.Tests.Storage;

[Collection(PostgresCollection.Name)]
public sealed class PostgresHealthCheckTests(PostgresFixture postgres)
{
    // Far above the check's own timeout: only there so a broken check fails the test instead of hanging it.
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task HealthyWhenPostgresAnswers()
    {
        await using var dataSource = NpgsqlDataSource.Create(postgres.Server.GetConnectionString("postgres"));

        var result = await CheckAsync(dataSource, TimeSpan.FromSeconds(2));

        Assert.Equal(HealthStatus.Healthy, result.Status);
    }

    [Fact]
    public async Task UnhealthyOnceTheServerHasStopped()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "rag-tests-pg-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var server = await PostgresServer.StartAsync(new PostgresServerOptions { DataDirectory = dataDirectory, DisableDurability = true })
                .WaitAsync(TimeSpan.FromSeconds(90));
            await using var dataSource = NpgsqlDataSource.Create(server.GetConnectionString("postgres"));
            Assert.Equal(HealthStatus.Healthy, (await CheckAsync(dataSource, TimeSpan.FromSeconds(2))).Status);

            await server.StopAsync().WaitAsync(HangGuard);
            var result = await CheckAsync(dataSource, TimeSpan.FromSeconds(2));

            Assert.Equal(HealthStatus.Unhealthy, result.Status);
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task UnhealthyAfterTheTimeoutWhenTheServerNeverAnswers()
    {
        // Accepts TCP connections and never speaks: what a hung server or a black-holed network looks like.
        using var silentServer = new TcpListener(IPAddress.Loopback, 0);
        silentServer.Start();
        var port = ((IPEndPoint)silentServer.LocalEndpoint).Port;
        await using var dataSource = NpgsqlDataSource.Create($"Host=127.0.0.1;Port={port};Username=postgres;Password=x;Timeout=30");

        var result = await CheckAsync(dataSource, TimeSpan.FromMilliseconds(500));

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("did not answer", result.Description, StringComparison.Ordinal);
    }

    private static Task<HealthCheckResult> CheckAsync(NpgsqlDataSource dataSource, TimeSpan timeout)
    {
        var check = new PostgresHealthCheck(dataSource, Options.Create(new DatabaseOptions { HealthCheckTimeout = timeout }));
        var context = new HealthCheckContext { Registration = new HealthCheckRegistration("postgres", check, HealthStatus.Unhealthy, tags: null) };
        return check.CheckHealthAsync(context).WaitAsync(HangGuard);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Rag.Core.Storage;
using Rag.LocalHost.Processes;
using Rag.Tests.Answers;
using Rag.Tests.Graph;
using Rag.Tests.Infrastructure;

namespace Rag.Tests.Operations;

// Readiness is false until this replica has applied the migrations and loaded its vector index; liveness is true throughout.
// Each phase is held back by a real PostgreSQL lock the migrator or the index loader has to wait for.
[Collection(GraphCollection.Name)]
public sealed class ReadinessGraphTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ProcessGrace = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ARestartedApiIsAliveButNotReadyWhileItsMigrationsAndThenItsIndexLoadAreHeldBack()
    {
        await using var graph = await TestGraph.StartAsync();
        using var api = await RagApiClient.SignInAsAdminAsync(graph);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await api.IngestAsync("readiness", "relay.md", "# Relay manual\n\nThe Zorblax relay listens on TCP port 7431 by default.");

        // Migrations: the migrator of the restarted API queues behind the advisory lock this test holds.
        await graph.Api.StopAsync(ProcessGrace);
        await using (var holder = await Sql.OpenAsync(graph.DatabaseConnectionString))
        {
            await ExecuteAsync(holder, $"SELECT pg_advisory_lock({DatabaseMigrator.MigrationLockKey})");
            graph.Api.Launch();
            await WaitUntilAliveAsync(http, graph.Api);
            await WaitUntilAsync(() => AnyWaitingLockAsync(holder, "locktype = 'advisory'"), "the migrator to wait for the advisory lock");

            var (status, health) = await GetHealthAsync(http, graph.Api);
            Assert.True(status == HttpStatusCode.ServiceUnavailable, $"/health while migrations wait: {health}");
            Assert.Equal("Unhealthy", CheckStatus(health, DatabaseExtensions.MigrationsHealthCheckName));
            Assert.Equal(HttpStatusCode.OK, await GetStatusAsync(http, graph.Api, "/alive"));

            await ExecuteAsync(holder, $"SELECT pg_advisory_unlock({DatabaseMigrator.MigrationLockKey})");
        }

        await graph.Api.WaitUntilHealthyAsync(Patience);
        Assert.Equal("Healthy", CheckStatus((await GetHealthAsync(http, graph.Api)).Body, DatabaseExtensions.MigrationsHealthCheckName));

        // The index: its initial load reads the chunks table, which this test's open transaction keeps locked.
        await graph.Api.StopAsync(ProcessGrace);
        await using (var holder = await Sql.OpenAsync(graph.DatabaseConnectionString))
        {
            await using var transaction = await holder.BeginTransactionAsync();
            await ExecuteAsync(holder, "LOCK TABLE chunks IN ACCESS EXCLUSIVE MODE");
            graph.Api.Launch();
            await WaitUntilAliveAsync(http, graph.Api);
            await WaitUntilAsync(
                async () => CheckStatus((await GetHealthAsync(http, graph.Api)).Body, DatabaseExtensions.MigrationsHealthCheckName) == "Healthy",
                "the migrations to be confirmed");
            await WaitUntilAsync(() => AnyWaitingLockAsync(holder, "relation = 'chunks'::regclass"), "the index load to wait for the chunks table");

            var (status, health) = await GetHealthAsync(http, graph.Api);
            Assert.True(status == HttpStatusCode.ServiceUnavailable, $"/health while the index waits: {health}");
            Assert.Equal("Healthy", CheckStatus(health, DatabaseExtensions.MigrationsHealthCheckName));
            Assert.Equal("Unhealthy", CheckStatus(health, "vector-index"));
            Assert.Equal(HttpStatusCode.OK, await GetStatusAsync(http, graph.Api, "/alive"));

            // A search now would have only its full-text half, and an answer would be built on it: both are refused,
            // promptly, with a time to come back.
            foreach (var path in (string[])["/api/v1/search", "/api/v1/query", "/api/v1/chat"])
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                using var refused = await api.Http.PostAsJsonAsync(path, new { query = "Which port does the relay use?", collection = "readiness" }, timeout.Token);
                var body = await refused.Content.ReadAsStringAsync(timeout.Token);
                Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, $"{path} while the index waits answered {(int)refused.StatusCode}: {body}");
                Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
                Assert.NotNull(refused.Headers.RetryAfter?.Delta);
            }

            await transaction.RollbackAsync();
        }

        await graph.Api.WaitUntilHealthyAsync(Patience);
        var (_, ready) = await GetHealthAsync(http, graph.Api);
        Assert.Equal("Healthy", CheckStatus(ready, "vector-index"));
        var hit = Assert.Single(await api.SearchAsync("Which port does the relay use?", "readiness"));
        Assert.Contains("vector", hit!["retrievers"]!.AsArray().Select(r => r!.GetValue<string>()));
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync().WaitAsync(PostgresFixture.WaitTimeout);
    }

    // Lock requests of other sessions that wait, in this database: the API queued behind what this test holds.
    private static async Task<bool> AnyWaitingLockAsync(NpgsqlConnection connection, string condition)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid() AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND {condition}",
            connection);
        return (long)(await command.ExecuteScalarAsync().WaitAsync(PostgresFixture.WaitTimeout))! > 0;
    }

    private static Task WaitUntilAliveAsync(HttpClient http, ServiceProcess service) =>
        WaitUntilAsync(
            async () =>
            {
                try
                {
                    return await GetStatusAsync(http, service, "/alive") == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false; // Not listening yet.
                }
            },
            $"{service.Name} to answer /alive");

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        using var deadline = new CancellationTokenSource(Patience);
        while (!await condition())
        {
            await Task.Delay(200, deadline.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            Assert.False(deadline.IsCancellationRequested, $"Waited {Patience.TotalSeconds:0} s for {what}.");
        }
    }

    private static async Task<HttpStatusCode> GetStatusAsync(HttpClient http, ServiceProcess service, string path)
    {
        using var response = await http.GetAsync(new Uri(service.Url, path));
        return response.StatusCode;
    }

    private static async Task<(HttpStatusCode Status, JsonObject Body)> GetHealthAsync(HttpClient http, ServiceProcess service)
    {
        using var response = await http.GetAsync(new Uri(service.Url, "/health"));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    private static string? CheckStatus(JsonObject health, string name) =>
        health["checks"]!.AsArray().FirstOrDefault(c => c!["name"]!.GetValue<string>() == name)?["status"]!.GetValue<string>();
}

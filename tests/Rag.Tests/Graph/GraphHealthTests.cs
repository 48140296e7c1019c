using System.Net;
using System.Text.Json.Nodes;
using Rag.LocalHost.Processes;

namespace Rag.Tests.Graph;

[Collection(GraphCollection.Name)]
public sealed class GraphHealthTests
{
    // Longer than a health check's own timeout: a /health call that outlives it is a hang.
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(6);

    [Fact]
    public async Task ReadinessFollowsRedisDownAndBackWhileLivenessStaysUp()
    {
        await using var graph = await TestGraph.StartAsync();
        using var http = new HttpClient { Timeout = RequestTimeout };

        foreach (var service in graph.Services)
        {
            var (status, health) = await GetAsync(http, service, "/health");
            Assert.True(status == HttpStatusCode.OK, $"{service.Name} /health: {health}");
            Assert.Equal("Healthy", health["status"]!.GetValue<string>());
            if (service == graph.Web)
            {
                Assert.Equal("Healthy", CheckStatus(health, "api"));
            }
            else
            {
                Assert.Equal("Healthy", CheckStatus(health, "redis"));
                Assert.Equal("Healthy", CheckStatus(health, "postgres"));
            }

            Assert.Equal(HttpStatusCode.OK, (await GetAsync(http, service, "/alive")).Status);
        }

        // Readiness also says which vector index the API searches, with what model.
        var apiHealth = (await GetAsync(http, graph.Api, "/health")).Body;
        var index = apiHealth["checks"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == "vector-index")!;
        Assert.Contains(Rag.Core.Embeddings.OfflineEmbeddingGenerator.ModelId, index["description"]!.GetValue<string>(), StringComparison.Ordinal);

        await graph.Redis.StopAsync();

        // Every request below must come back within RequestTimeout, down or not: HttpClient throws otherwise.
        // The web app does not use Redis itself: its readiness is the API's reachability, which stays up.
        var redisUsers = graph.Services.Where(s => s != graph.Web).ToList();
        await WaitUntilAsync(redisUsers, http, expected: HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(20));
        foreach (var service in redisUsers)
        {
            var (_, health) = await GetAsync(http, service, "/health");
            Assert.Equal("Unhealthy", CheckStatus(health, "redis"));
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(http, service, "/alive")).Status);
        }

        await graph.Redis.RestartAsync();

        // The same processes recover on their own: no service is restarted.
        var processIds = graph.Services.Select(s => s.ProcessId).ToList();
        await WaitUntilAsync(graph.Services, http, expected: HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        Assert.Equal(processIds, graph.Services.Select(s => s.ProcessId).ToList());

        // A test's graph leaves nothing behind: its data folder (PostgreSQL, Redis, logs) goes once it has stopped.
        Assert.True(Directory.Exists(graph.DataDirectory));
        await graph.DisposeAsync();
        Assert.False(Directory.Exists(graph.DataDirectory), graph.DataDirectory);
    }

    private static async Task WaitUntilAsync(IEnumerable<ServiceProcess> services, HttpClient http, HttpStatusCode expected, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var pending = services.ToList();
        while (pending.Count > 0)
        {
            var answers = await Task.WhenAll(pending.Select(async s => (Service: s, (await GetAsync(http, s, "/health")).Status)));
            pending = [.. answers.Where(a => a.Status != expected).Select(a => a.Service)];
            if (pending.Count > 0)
            {
                await Task.Delay(250, deadline.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                Assert.False(deadline.IsCancellationRequested, $"/health of {string.Join(", ", pending.Select(s => s.Name))} did not answer {expected} within {timeout}.");
            }
        }
    }

    private static async Task<(HttpStatusCode Status, JsonObject Body)> GetAsync(HttpClient http, ServiceProcess service, string path)
    {
        using var response = await http.GetAsync(new Uri(service.Url, path));
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(body)!.AsObject());
    }

    private static string? CheckStatus(JsonObject health, string name) =>
        health["checks"]!.AsArray().FirstOrDefault(c => c!["name"]!.GetValue<string>() == name)?["status"]!.GetValue<string>();
}

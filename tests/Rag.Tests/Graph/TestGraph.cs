using Rag.LocalHost;

namespace Rag.Tests.Graph;

/// <summary>
/// Starts the whole system with the launcher the README's run command uses, with timings shortened so that
/// recovery (reclaiming a dead worker's job, re-dispatching what Redis lost) happens within a test's patience.
/// </summary>
public static class TestGraph
{
    public static async Task<LocalGraph> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, int ingestionReplicas = 1)
    {
        await LocalPackages.EnsureInstalledAsync();
        var environment = new Dictionary<string, string?>
        {
            ["Jobs__VisibilityTimeout"] = "00:00:04",
            ["Jobs__RedispatchQueuedAfter"] = "00:00:03",
            ["Jobs__SweepInterval"] = "00:00:01",
            ["Redis__CommandTimeout"] = "00:00:02",
            ["Ingestion__Concurrency"] = "2",

            // Tests poll jobs far faster than people do; the per-caller limit has its own tests in Security/.
            ["RateLimits__PermitsPerWindow"] = "1000000",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            environment[key] = value;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        return await LocalGraph.StartAsync(
            new LocalGraphOptions
            {
                DataDirectory = Path.Combine(Path.GetTempPath(), "rag-tests", Guid.NewGuid().ToString("N")),
                DisableDurability = true,
                DeleteDataOnDispose = true,
                IngestionReplicas = ingestionReplicas,
                AdditionalEnvironment = environment,
            },
            timeout.Token);
    }
}

/// <summary>One graph shared by the tests that only add data of their own (each uses its own collection).</summary>
public sealed class SharedGraphFixture : IAsyncLifetime
{
    public LocalGraph Graph { get; private set; } = null!;

    public RagApiClient Api { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Graph = await TestGraph.StartAsync();
        Api = await RagApiClient.SignInAsAdminAsync(Graph);
    }

    public async Task DisposeAsync()
    {
        Api.Dispose();
        await Graph.DisposeAsync();
    }
}

// Whole-graph tests run one after another: each graph is five processes, too many to run side by side on two cores.
[CollectionDefinition(Name)]
public sealed class GraphCollection : ICollectionFixture<SharedGraphFixture>
{
    public const string Name = "Graph";
}

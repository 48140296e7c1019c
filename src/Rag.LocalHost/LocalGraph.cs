using System.Security.Cryptography;
using Rag.Core;
using Rag.LocalHost.Processes;

namespace Rag.LocalHost;

/// <summary>
/// The whole Rag system on one machine without Docker: redis-server and PostgreSQL as local processes,
/// then Api, Ingestion and Web as separate processes configured with exactly the keys the AppHost gives
/// them. The README's run command and the integration tests both start the system through this class.
/// </summary>
public sealed class LocalGraph : IAsyncDisposable
{
    private readonly LocalGraphOptions _options;
    private readonly List<ServiceProcess> _ingestion = [];
    private bool _disposed;

    private LocalGraph(LocalGraphOptions options, RedisServer redis, PostgresServer postgres, LocalSecrets secrets)
    {
        _options = options;
        Redis = redis;
        Postgres = postgres;
        Secrets = secrets;
    }

    public string DataDirectory => Path.GetFullPath(_options.DataDirectory);

    public RedisServer Redis { get; }

    public PostgresServer Postgres { get; }

    public LocalSecrets Secrets { get; }

    public ServiceProcess Api { get; private set; } = null!;

    public IReadOnlyList<ServiceProcess> Ingestion => _ingestion;

    public ServiceProcess Web { get; private set; } = null!;

    public IEnumerable<ServiceProcess> Services => [Api, .. _ingestion, Web];

    public string DatabaseConnectionString => Postgres.GetConnectionString(ResourceNames.Database);

    public static async Task<LocalGraph> StartAsync(LocalGraphOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        Directory.CreateDirectory(dataDirectory);
        var secrets = LocalSecrets.LoadOrCreate(Path.Combine(dataDirectory, "secrets"));

        var redis = await RedisServer.StartAsync(
            new RedisServerOptions { DataDirectory = Path.Combine(dataDirectory, "redis"), Password = secrets.RedisPassword, Persistent = true },
            cancellationToken);
        PostgresServer? postgres = null;
        LocalGraph? graph = null;
        try
        {
            postgres = await PostgresServer.StartAsync(
                new PostgresServerOptions { DataDirectory = Path.Combine(dataDirectory, "postgres"), DisableDurability = options.DisableDurability },
                cancellationToken: cancellationToken);
            graph = new LocalGraph(options, redis, postgres, secrets);
            await graph.StartServicesAsync(cancellationToken);
            return graph;
        }
        catch
        {
            if (graph is not null)
            {
                await graph.DisposeAsync();
            }
            else
            {
                if (postgres is not null)
                {
                    await postgres.DisposeAsync();
                }

                await redis.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Starts one more ingestion worker replica.</summary>
    public async Task<ServiceProcess> AddIngestionReplicaAsync(CancellationToken cancellationToken = default)
    {
        var replica = await ServiceProcess.StartAsync(
            Describe($"ingestion-{_ingestion.Count}", "Rag.Ingestion", _options.IngestionPort is { } port && _ingestion.Count == 0 ? port : null, IngestionEnvironment()),
            cancellationToken);
        _ingestion.Add(replica);
        return replica;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;

        // Reverse order of start: consumers first, so none of them sees its dependencies vanish mid-request.
        if (Web is not null)
        {
            await Web.DisposeAsync();
        }

        foreach (var replica in _ingestion)
        {
            await replica.DisposeAsync();
        }

        if (Api is not null)
        {
            await Api.DisposeAsync();
        }

        await Postgres.DisposeAsync();
        await Redis.DisposeAsync();
        if (_options.DeleteDataOnDispose)
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }

    private async Task StartServicesAsync(CancellationToken cancellationToken)
    {
        // The API applies the schema migrations; starting it first keeps the others' logs free of
        // "relation does not exist" noise, though each service would also wait and retry on its own.
        Api = await ServiceProcess.StartAsync(Describe(ResourceNames.Api, "Rag.Api", _options.ApiPort, ApiEnvironment()), cancellationToken);
        for (var i = 0; i < _options.IngestionReplicas; i++)
        {
            await AddIngestionReplicaAsync(cancellationToken);
        }

        Web = await ServiceProcess.StartAsync(Describe(ResourceNames.Web, "Rag.Web", _options.WebPort, WebEnvironment()), cancellationToken);
    }

    private ServiceProcessOptions Describe(string name, string project, int? port, Dictionary<string, string?> environment) => new()
    {
        Name = name,
        AssemblyPath = ServiceBinaries.AssemblyPath(project),
        Url = new Uri($"http://127.0.0.1:{port ?? FreePort.GetFreeTcpPort()}"),
        LogFile = Path.Combine(Path.GetFullPath(_options.DataDirectory), "logs", name + ".log"),
        Environment = environment,
        Output = _options.Output,
    };

    private Dictionary<string, string?> ApiEnvironment() => Environment(ResourceNames.Api);

    private Dictionary<string, string?> IngestionEnvironment() => Environment(ResourceNames.Ingestion);

    private Dictionary<string, string?> WebEnvironment() => Environment(ResourceNames.Web);

    private Dictionary<string, string?> Environment(string service)
    {
        var references = new GraphReferences(Redis.ConnectionString, DatabaseConnectionString, Api?.Url, Secrets);
        var environment = new Dictionary<string, string?>(AppHostEnvironment.For(service, references))
        {
            ["ASPNETCORE_ENVIRONMENT"] = _options.EnvironmentName,
            ["DOTNET_ENVIRONMENT"] = _options.EnvironmentName,
            ["OTEL_SERVICE_NAME"] = service,
        };

        // Settings given for this run win over the defaults above (a model endpoint, shorter timings in tests).
        foreach (var (key, value) in _options.AdditionalEnvironment)
        {
            environment[key] = value;
        }

        return environment;
    }
}

/// <summary>What the graph's services are wired to: the inputs of <see cref="AppHostEnvironment"/>.</summary>
public sealed record GraphReferences(string CacheConnectionString, string DatabaseConnectionString, Uri? ApiUrl, LocalSecrets Secrets);

/// <summary>
/// The configuration keys the AppHost gives each service (its WithReference and WithEnvironment calls), with local
/// values. tests/Rag.Tests/Deployment checks these keys against aspire-manifest.json, so the two cannot drift apart.
/// </summary>
public static class AppHostEnvironment
{
    public static IReadOnlyDictionary<string, string?> For(string service, GraphReferences references)
    {
        ArgumentNullException.ThrowIfNull(references);
        var environment = new Dictionary<string, string?>();
        if (service is ResourceNames.Api or ResourceNames.Ingestion)
        {
            environment[$"ConnectionStrings__{ResourceNames.Cache}"] = references.CacheConnectionString;
            environment[$"ConnectionStrings__{ResourceNames.Database}"] = references.DatabaseConnectionString;

            // The AppHost's model parameters; empty means the offline models. Taken from this process's environment.
            foreach (var key in (string[])["AI__Endpoint", "AI__Key", "AI__ChatModel", "AI__EmbeddingModel"])
            {
                environment[key] = System.Environment.GetEnvironmentVariable(key) ?? string.Empty;
            }
        }

        switch (service)
        {
            case ResourceNames.Api:
                environment["Auth__SigningKey"] = references.Secrets.JwtSigningKey;
                environment["Auth__BootstrapAdminPassword"] = references.Secrets.AdminPassword;
                break;
            case ResourceNames.Web:
                environment[$"services__{ResourceNames.Api}__http__0"] = references.ApiUrl?.ToString().TrimEnd('/')
                    ?? throw new InvalidOperationException("The web app is started after the API.");
                break;
        }

        return environment;
    }
}

public sealed class LocalGraphOptions
{
    /// <summary>Where Redis and PostgreSQL keep their data, and where logs and local secrets go.</summary>
    public required string DataDirectory { get; init; }

    public string EnvironmentName { get; init; } = "Development";

    public int IngestionReplicas { get; init; } = 1;

    /// <summary>Fixed ports for people; tests leave them null to get free ones.</summary>
    public int? ApiPort { get; init; }

    public int? IngestionPort { get; init; }

    public int? WebPort { get; init; }

    /// <summary>Trades PostgreSQL crash safety for speed; for tests and benchmarks only.</summary>
    public bool DisableDurability { get; init; }

    /// <summary>Removes <see cref="DataDirectory"/> once everything has stopped: for throw-away graphs (tests, benchmarks).</summary>
    public bool DeleteDataOnDispose { get; init; }

    /// <summary>Extra configuration for every service, as environment variables (e.g. <c>Ingestion__Concurrency</c>).</summary>
    public IReadOnlyDictionary<string, string?> AdditionalEnvironment { get; init; } = new Dictionary<string, string?>();

    public Action<string, string>? Output { get; init; }
}

/// <summary>Secrets the AppHost would take as parameters, generated once per data folder and kept there.</summary>
public sealed record LocalSecrets(string RedisPassword, string JwtSigningKey, string AdminPassword)
{
    public static LocalSecrets LoadOrCreate(string directory)
    {
        Directory.CreateDirectory(directory);
        return new LocalSecrets(Read("redis-password", 24), Read("jwt-signing-key", 48), Read("admin-password", 20));

        string Read(string name, int length)
        {
            var path = Path.Combine(directory, name);
            if (!File.Exists(path))
            {
                // Letters and digits only: Redis connection strings cannot carry commas.
                File.WriteAllText(path, RandomNumberGenerator.GetString("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", length));
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }
            }

            return File.ReadAllText(path).Trim();
        }
    }
}

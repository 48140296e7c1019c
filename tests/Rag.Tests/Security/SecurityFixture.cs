using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Rag.LocalHost.Processes;
using Rag.Tests.Graph;

namespace Rag.Tests.Security;

[CollectionDefinition(Name)]
public sealed class SecurityCollection : ICollectionFixture<SecurityFixture>
{
    public const string Name = "Security";
}

/// <summary>
/// Real PostgreSQL and Redis servers, and the API hosted in-process against them. <see cref="Api"/> is shared by tests
/// that only add data of their own; tests that need their own limits or database start their own hosts.
/// </summary>
public sealed class SecurityFixture : IAsyncLifetime
{
    public const string SigningKey = "test-signing-key-0123456789-abcdefghijklmnopqrstuvwxyz";
    public const string AdminPassword = "Bootstrap-Admin-Pw-42";

    private readonly string _postgresDirectory = Path.Combine(Path.GetTempPath(), "rag-tests-security-pg-" + Guid.NewGuid().ToString("N"));
    private PostgresServer? _postgres;
    private RedisServer? _redis;

    public RedisServer Redis => _redis ?? throw new InvalidOperationException("The fixture has not started.");

    public ApiHost Api { get; private set; } = null!;

    public string SharedDatabase { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        _postgres = await PostgresServer.StartAsync(new PostgresServerOptions { DataDirectory = _postgresDirectory, DisableDurability = true })
            .WaitAsync(TimeSpan.FromSeconds(90));
        SharedDatabase = await CreateDatabaseAsync();
        Api = CreateHost(SharedDatabase, new Dictionary<string, string?> { ["RateLimits:PermitsPerWindow"] = "1000000" });
    }

    public async Task<string> CreateDatabaseAsync()
    {
        var name = "t_" + Guid.NewGuid().ToString("N");
        await using var dataSource = NpgsqlDataSource.Create(_postgres!.GetConnectionString("postgres"));
        await using var command = dataSource.CreateCommand($"CREATE DATABASE {name}");
        await command.ExecuteNonQueryAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return _postgres.GetConnectionString(name);
    }

    public ApiHost CreateHost(string databaseConnectionString, IReadOnlyDictionary<string, string?>? settings = null, string environment = "Development")
    {
        var all = new Dictionary<string, string?>
        {
            ["ConnectionStrings:cache"] = Redis.ConnectionString,
            ["ConnectionStrings:ragdb"] = databaseConnectionString,
            ["Auth:SigningKey"] = SigningKey,
            ["Auth:BootstrapAdminPassword"] = AdminPassword,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        return new ApiHost(all, environment);
    }

    public async Task DisposeAsync()
    {
        if (Api is not null)
        {
            await Api.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        if (Directory.Exists(_postgresDirectory))
        {
            Directory.Delete(_postgresDirectory, recursive: true);
        }
    }
}

/// <summary>The API in-process (any public type of Rag.Api names its entry assembly; both it and the launcher have a Program). A request's "X-Test-Client-Ip" header stands in for the client address the test server lacks.</summary>
public sealed class ApiHost(IReadOnlyDictionary<string, string?> settings, string environment) : WebApplicationFactory<Rag.Api.Auth.JwtTokens>
{
    public const string ClientIpHeader = "X-Test-Client-Ip";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter, ClientAddressStartupFilter>());
    }

    public HttpClient CreateClient(string? credential, string clientIp = "10.0.0.1")
    {
        var client = CreateClient();
        client.Timeout = TimeSpan.FromSeconds(30);
        client.DefaultRequestHeaders.Add(ClientIpHeader, clientIp);
        if (credential is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        }

        return client;
    }

    public async Task<string> GetTokenAsync(string userName, string password)
    {
        using var client = CreateClient(null, "10.9." + Random.Shared.Next(256) + "." + Random.Shared.Next(256));
        using var response = await client.PostAsJsonAsync("/api/v1/auth/token", new { user_name = userName, password });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Sign-in as {userName} answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!.GetString("access_token");
    }

    public async Task<HttpClient> SignInAsync(string userName, string password) => CreateClient(await GetTokenAsync(userName, password));

    public Task<HttpClient> SignInAsAdminAsync() => SignInAsync("admin", SecurityFixture.AdminPassword);

    /// <summary>Creates a user through the admin API and returns its id.</summary>
    public static async Task<Guid> CreateUserAsync(HttpClient admin, string userName, string password, string role)
    {
        using var response = await admin.PostAsJsonAsync("/api/v1/admin/users", new { user_name = userName, password, role });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"Creating {userName} answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!.GetGuid("id");
    }

    private sealed class ClientAddressStartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (IPAddress.TryParse(context.Request.Headers[ClientIpHeader], out var address))
                {
                    context.Connection.RemoteIpAddress = address;
                }

                return nextMiddleware(context);
            });
            next(app);
        };
    }
}

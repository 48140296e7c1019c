using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Rag.ServiceDefaults.ServiceDiscovery;

namespace Rag.Tests.ServiceDefaults;

public sealed class ServiceDiscoveryTests
{
    [Theory]
    [InlineData("http://api/documents?page=2", "http://localhost:5123/documents?page=2")]
    [InlineData("https://api/documents", "https://localhost:7123/documents")]
    [InlineData("https+http://api/documents", "https://localhost:7123/documents")]
    [InlineData("https+http://web/", "http://localhost:5200/")]
    [InlineData("http://external/x", "https://example.test/base/x")]
    public void ResolvesLogicalNamesFromServicesConfiguration(string logical, string expected)
    {
        var resolver = CreateResolver(new()
        {
            ["services:api:http:0"] = "http://localhost:5123",
            ["services:api:https:0"] = "https://localhost:7123",
            ["services:web:http:0"] = "http://localhost:5200",
            ["services:external:default:0"] = "https://example.test/base/",
        });

        Assert.Equal(new Uri(expected), resolver.Resolve(new Uri(logical)));
    }

    [Fact]
    public void TakesTheIndexesInTurn()
    {
        var resolver = CreateResolver(new()
        {
            ["services:api:http:0"] = "http://localhost:5001",
            ["services:api:http:1"] = "http://localhost:5002",
        });

        var ports = Enumerable.Range(0, 4).Select(_ => resolver.Resolve(new Uri("http://api/")).Port);

        Assert.Equal([5001, 5002, 5001, 5002], ports);
    }

    [Theory]
    [InlineData("http://localhost:8080/x")]
    [InlineData("https://api.openai.example/v1/embeddings")]
    public void HostsWithoutAServicesEntryPassThrough(string address)
    {
        var resolver = CreateResolver(new() { ["services:api:http:0"] = "http://localhost:5123" });

        Assert.Equal(new Uri(address), resolver.Resolve(new Uri(address)));
    }

    [Fact]
    public void FailsClearlyWhenAServiceLacksTheRequestedSchemeOrIsUnknownToHttpsPlusHttp()
    {
        var resolver = CreateResolver(new() { ["services:api:http:0"] = "http://localhost:5123" });

        Assert.Contains("'api'", Assert.Throws<InvalidOperationException>(() => resolver.Resolve(new Uri("https://api/"))).Message, StringComparison.Ordinal);
        Assert.Contains("'missing'", Assert.Throws<InvalidOperationException>(() => resolver.Resolve(new Uri("https+http://missing/"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpClientsReachEveryInstanceOfAServiceByNameAndRealHostsUnchanged()
    {
        await using var first = await LoopbackServer.StartAsync(app => app.Run(context => context.Response.WriteAsync($"first {context.Request.Path}{context.Request.QueryString}")));
        await using var second = await LoopbackServer.StartAsync(app => app.Run(context => context.Response.WriteAsync($"second {context.Request.Path}{context.Request.QueryString}")));
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["services:api:http:0"] = first.Address.ToString(),
            ["services:api:http:1"] = second.Address.ToString(),
        });
        builder.AddServiceDefaults();
        builder.Services.AddHttpClient("api", client =>
        {
            client.BaseAddress = new Uri("https+http://api");
            client.Timeout = LoopbackServer.WaitTimeout;
        });
        using var host = builder.Build();
        var clients = host.Services.GetRequiredService<IHttpClientFactory>();
        var api = clients.CreateClient("api");

        var answers = new[] { await api.GetStringAsync("/documents?page=2"), await api.GetStringAsync("/documents?page=2") };

        Assert.Equal(["first /documents?page=2", "second /documents?page=2"], answers.Order());
        var direct = clients.CreateClient();
        direct.Timeout = LoopbackServer.WaitTimeout;
        Assert.Equal("second /direct", await direct.GetStringAsync(new Uri(second.Address, "/direct")));
    }

    private static ServiceEndpointResolver CreateResolver(Dictionary<string, string?> services) =>
        new(new ConfigurationBuilder().AddInMemoryCollection(services).Build());
}

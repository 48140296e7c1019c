using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Rag.Tests.ServiceDefaults;

// A real Kestrel server on a free loopback port, for the tests' apps and for the servers they call.
internal sealed class LoopbackServer : IAsyncDisposable
{
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(10);

    private LoopbackServer(WebApplication app, Uri address)
    {
        App = app;
        Address = address;
    }

    public WebApplication App { get; }

    public Uri Address { get; }

    public static WebApplicationBuilder CreateBuilder(IReadOnlyDictionary<string, string?>? configuration = null)
    {
        // Production, so nothing here works only because the environment is Development.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production, Args = [] });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        if (configuration is not null)
        {
            builder.Configuration.AddInMemoryCollection(configuration);
        }

        return builder;
    }

    public static async Task<LoopbackServer> StartAsync(WebApplication app)
    {
        await app.StartAsync().WaitAsync(WaitTimeout);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new LoopbackServer(app, new Uri(address));
    }

    // A plain server (no service defaults) whose routes the test defines.
    public static Task<LoopbackServer> StartAsync(Action<WebApplication> mapRoutes)
    {
        var app = CreateBuilder().Build();
        mapRoutes(app);
        return StartAsync(app);
    }

    public static HttpClient CreateClient(Uri baseAddress) => new() { BaseAddress = baseAddress, Timeout = WaitTimeout };

    public async ValueTask DisposeAsync()
    {
        using (var stopping = new CancellationTokenSource(WaitTimeout))
        {
            await App.StopAsync(stopping.Token);
        }

        await App.DisposeAsync();
    }
}

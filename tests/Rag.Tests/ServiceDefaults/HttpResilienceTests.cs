using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using Rag.ServiceDefaults.Resilience;

namespace Rag.Tests.ServiceDefaults;

public sealed class HttpResilienceTests
{
    private const string RetryLogCategory = "Rag.ServiceDefaults.Resilience.HttpResiliencePipelines";

    [Fact]
    public async Task GetIsRetriedAfter503AndTheFailedResponseIsDisposed()
    {
        await using var server = await ScriptedServer.StartAsync();
        server.ThenStatus(503);
        var attempts = new ResponseRecorder();
        using var clients = CreateClients(configureServices: services => services.AddHttpClient("scripted").AddHttpMessageHandler(() => attempts));

        using var response = await clients.Create(server).GetAsync("/documents");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, server.Received.Count);
        var retry = Assert.Single(clients.Logs.Entries, entry => entry.Category == RetryLogCategory);
        Assert.Equal("HTTP 503", retry.State["Outcome"]);
        Assert.Equal([HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK], attempts.Responses.Select(attempt => attempt.StatusCode));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => attempts.Responses[0].Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheTotalTimeoutBoundsAllAttempts()
    {
        await using var server = await ScriptedServer.StartAsync();
        server.ThenHang().ThenHang().ThenHang().ThenHang();
        using var clients = CreateClients(new()
        {
            ["HttpResilience:AttemptTimeout"] = "00:00:00.200",
            ["HttpResilience:TotalRequestTimeout"] = "00:00:00.300",
        });

        await Assert.ThrowsAsync<Polly.Timeout.TimeoutRejectedException>(() => clients.Create(server).GetAsync("/documents"));
        Assert.InRange(server.Received.Count, 1, 2);
    }

    [Fact]
    public async Task RetryAfterDeltaFromA429SetsTheDelay()
    {
        await using var server = await ScriptedServer.StartAsync();
        server.ThenStatus(429, response => response.Headers.RetryAfter = "1");
        using var clients = CreateClients();

        using var response = await clients.Create(server).GetAsync("/documents");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var retry = Assert.Single(clients.Logs.Entries, entry => entry.Category == RetryLogCategory);
        Assert.Equal(TimeSpan.FromSeconds(1), retry.State["RetryDelay"]);
        // A lower bound only: the delay cannot be shorter than the one chosen.
        Assert.True(server.Received[1].At - server.Received[0].At >= TimeSpan.FromMilliseconds(900));
    }

    [Fact]
    public async Task RetryAfterDateSetsTheDelayUntilThatDate()
    {
        await using var server = await ScriptedServer.StartAsync();
        server.ThenStatus(503, response => response.Headers.RetryAfter = DateTimeOffset.UtcNow.AddSeconds(2).ToString("R"));
        using var clients = CreateClients();

        using var response = await clients.Create(server).GetAsync("/documents");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var delay = (TimeSpan)Assert.Single(clients.Logs.Entries, entry => entry.Category == RetryLogCategory).State["RetryDelay"]!;
        // The header has whole seconds, so "now + 2 s" is between 1 and 2 s away; the backoff would be 10 ms.
        Assert.InRange(delay, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task PostIsNotRetried()
    {
        await using var server = await ScriptedServer.StartAsync();
        server.ThenStatus(503);
        using var clients = CreateClients();

        using var response = await clients.Create(server).PostAsync("/documents", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Single(server.Received);
    }

    [Fact]
    public async Task PostThatOptsInIsRetried()
    {
        await using var server = await ScriptedServer.StartAsync();
        server.ThenStatus(503);
        using var clients = CreateClients();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/documents") { Content = new StringContent("{}") };
        request.Options.Set(HttpResilience.AllowRetries, true);

        using var response = await clients.Create(server).SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["POST", "POST"], server.Received.Select(received => received.Method));
    }

    [Fact]
    public async Task GetThatOptsOutIsSentOnce()
    {
        await using var server = await ScriptedServer.StartAsync();
        server.ThenStatus(503);
        using var clients = CreateClients();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/readyz");
        request.Options.Set(HttpResilience.AllowRetries, false);

        using var response = await clients.Create(server).SendAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Single(server.Received);
    }

    [Fact]
    public async Task CallerCancellationIsNotRetried()
    {
        await using var server = await ScriptedServer.StartAsync();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.ThenHang(started);
        using var clients = CreateClients();
        using var cancellation = new CancellationTokenSource();

        var call = clients.Create(server).GetAsync("/documents", cancellation.Token);
        await started.Task.WaitAsync(LoopbackServer.WaitTimeout);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(LoopbackServer.WaitTimeout));
        Assert.Single(server.Received);
        Assert.DoesNotContain(clients.Logs.Entries, entry => entry.Category == RetryLogCategory);
    }

    [Fact]
    public async Task AnAttemptThatExceedsTheAttemptTimeoutIsRetried()
    {
        await using var server = await ScriptedServer.StartAsync();
        server.ThenHang();
        using var clients = CreateClients(new() { ["HttpResilience:AttemptTimeout"] = "00:00:00.300" });

        using var response = await clients.Create(server).GetAsync("/documents");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, server.Received.Count);
        var retry = Assert.Single(clients.Logs.Entries, entry => entry.Category == RetryLogCategory);
        Assert.Equal("TimeoutRejectedException", retry.State["Outcome"]);
    }

    [Fact]
    public async Task CircuitOpensAfterRepeatedFailuresForThatClientOnly()
    {
        await using var server = await ScriptedServer.StartAsync();
        server.ThenStatus(500).ThenStatus(500).ThenStatus(500);
        using var clients = CreateClients(new()
        {
            ["HttpResilience:MaxRetryAttempts"] = "0",
            ["HttpResilience:CircuitBreakerMinimumThroughput"] = "2",
            ["HttpResilience:CircuitBreakerFailureRatio"] = "0.5",
            ["HttpResilience:CircuitBreakerBreakDuration"] = "00:01:00",
        });
        var failing = clients.Create(server, "failing");

        using (var first = await failing.GetAsync("/documents"))
        using (var second = await failing.GetAsync("/documents"))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, second.StatusCode);
        }

        await Assert.ThrowsAsync<BrokenCircuitException>(() => failing.GetAsync("/documents"));
        Assert.Equal(2, server.Received.Count);

        using var other = await clients.Create(server, "other").GetAsync("/documents");
        Assert.Equal(HttpStatusCode.InternalServerError, other.StatusCode);
        Assert.Equal(3, server.Received.Count);
    }

    [Fact]
    public void InconsistentOptionsFailValidation()
    {
        using var clients = CreateClients(new()
        {
            ["HttpResilience:AttemptTimeout"] = "00:01:00",
            ["HttpResilience:TotalRequestTimeout"] = "00:00:30",
        });

        var failure = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            clients.Host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HttpResilienceOptions>>().Value);
        Assert.Contains("AttemptTimeout", failure.Message, StringComparison.Ordinal);
    }

    private static TestClients CreateClients(Dictionary<string, string?>? overrides = null, Action<IServiceCollection>? configureServices = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // Short waits keep the tests quick; the attempt timeout stays long unless a test is about it.
            ["HttpResilience:RetryBaseDelay"] = "00:00:00.010",
            ["HttpResilience:AttemptTimeout"] = "00:00:05",
        });
        builder.Configuration.AddInMemoryCollection(overrides ?? []);
        var logs = new RecordingLoggerProvider();
        builder.Logging.AddProvider(logs);
        builder.AddServiceDefaults();
        configureServices?.Invoke(builder.Services);
        return new TestClients(builder.Build(), logs);
    }

    // Sits inside the resilience handler (a client's own handlers come after the defaults), so it sees every attempt.
    private sealed class ResponseRecorder : DelegatingHandler
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<HttpResponseMessage> responses = new();

        public IReadOnlyList<HttpResponseMessage> Responses => [.. responses];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            responses.Enqueue(response);
            return response;
        }
    }

    private sealed class TestClients(IHost host, RecordingLoggerProvider logs) : IDisposable
    {
        public IHost Host { get; } = host;

        public RecordingLoggerProvider Logs { get; } = logs;

        public HttpClient Create(ScriptedServer server, string name = "scripted")
        {
            var client = Host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(name);
            client.BaseAddress = server.Address;
            client.Timeout = LoopbackServer.WaitTimeout;
            return client;
        }

        public void Dispose() => Host.Dispose();
    }
}

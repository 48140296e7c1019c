using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Rag.Tests.ServiceDefaults;

public sealed class HealthEndpointTests
{
    [Fact]
    public async Task HealthListsEveryCheckWithoutExceptionDetailsAndAnswers503WhenOneIsUnhealthy()
    {
        await using var server = await StartAsync(checks => checks
            .AddCheck("database", () => HealthCheckResult.Healthy("Reachable"), [HealthCheckTags.Ready])
            .AddCheck<ThrowingCheck>("cache", tags: [HealthCheckTags.Ready]));
        using var client = LoopbackServer.CreateClient(server.Address);

        using var response = await client.GetAsync(Extensions.HealthEndpointPath);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.DoesNotContain(ThrowingCheck.Secret, body, StringComparison.Ordinal);
        Assert.DoesNotContain(nameof(InvalidOperationException), body, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("Unhealthy", json.RootElement.GetProperty("status").GetString());
        var checks = json.RootElement.GetProperty("checks").EnumerateArray().ToDictionary(check => check.GetProperty("name").GetString()!);
        Assert.Equal(["cache", "database", "self"], checks.Keys.Order());
        Assert.Equal("Healthy", checks["database"].GetProperty("status").GetString());
        Assert.Equal("Reachable", checks["database"].GetProperty("description").GetString());
        Assert.Equal("Unhealthy", checks["cache"].GetProperty("status").GetString());
        Assert.Equal("The check failed; see the service's logs.", checks["cache"].GetProperty("description").GetString());
        Assert.True(TimeSpan.TryParse(checks["cache"].GetProperty("duration").GetString(), out _));
    }

    [Fact]
    public async Task DegradedIsStill200()
    {
        await using var server = await StartAsync(checks => checks.AddCheck("slow", () => HealthCheckResult.Degraded("Slow"), [HealthCheckTags.Ready]));
        using var client = LoopbackServer.CreateClient(server.Address);

        using var response = await client.GetAsync(Extensions.HealthEndpointPath);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Degraded", json.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task HangingChecksTimeOutSoHealthAnswers503WhileAliveStays200()
    {
        await using var server = await StartAsync(
            checks => checks
                .AddReadinessCheck<CancellableHangingCheck>("waits-on-its-token")
                .AddReadinessCheck<UncancellableHangingCheck>("ignores-its-token"),
            new Dictionary<string, string?> { ["HealthChecks:DefaultTimeout"] = "00:00:00.200" });
        using var client = LoopbackServer.CreateClient(server.Address);

        // The client's own timeout (LoopbackServer.WaitTimeout) is far above the 200 ms check timeout.
        using var health = await client.GetAsync(Extensions.HealthEndpointPath);
        using var alive = await client.GetAsync(Extensions.AlivenessEndpointPath);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        using var json = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
        var statuses = json.RootElement.GetProperty("checks").EnumerateArray()
            .ToDictionary(check => check.GetProperty("name").GetString()!, check => check.GetProperty("status").GetString());
        Assert.Equal("Unhealthy", statuses["waits-on-its-token"]);
        Assert.Equal("Unhealthy", statuses["ignores-its-token"]);

        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        using var aliveJson = JsonDocument.Parse(await alive.Content.ReadAsStringAsync());
        var aliveCheck = Assert.Single(aliveJson.RootElement.GetProperty("checks").EnumerateArray());
        Assert.Equal("self", aliveCheck.GetProperty("name").GetString());
    }

    [Fact]
    public async Task ATimeoutGivenAtRegistrationIsKept()
    {
        var builder = LoopbackServer.CreateBuilder();
        builder.AddServiceDefaults();
        builder.Services.AddHealthChecks()
            .AddReadinessCheck<CancellableHangingCheck>("own-timeout", TimeSpan.FromSeconds(7))
            .AddReadinessCheck<CancellableHangingCheck>("default-timeout");
        using var app = builder.Build();

        var registrations = app.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations.ToDictionary(r => r.Name);

        Assert.Equal(TimeSpan.FromSeconds(7), registrations["own-timeout"].Timeout);
        Assert.Equal(TimeSpan.FromSeconds(2), registrations["default-timeout"].Timeout);
        Assert.Equal([HealthCheckTags.Ready], registrations["default-timeout"].Tags);
        Assert.Equal([HealthCheckTags.Live], registrations["self"].Tags);
    }

    [Fact]
    public async Task AnInvalidDefaultTimeoutFailsAtStart()
    {
        var builder = LoopbackServer.CreateBuilder(new Dictionary<string, string?> { ["HealthChecks:DefaultTimeout"] = "00:00:00" });
        builder.AddServiceDefaults();
        await using var app = builder.Build();

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync().WaitAsync(LoopbackServer.WaitTimeout));
        Assert.Contains("DefaultTimeout", failure.Message, StringComparison.Ordinal);
    }

    private static Task<LoopbackServer> StartAsync(Action<IHealthChecksBuilder> addChecks, IReadOnlyDictionary<string, string?>? configuration = null)
    {
        var builder = LoopbackServer.CreateBuilder(configuration);
        builder.AddServiceDefaults();
        addChecks(builder.Services.AddHealthChecks());
        var app = builder.Build();
        app.MapDefaultEndpoints();
        return LoopbackServer.StartAsync(app);
    }

    private sealed class ThrowingCheck : IHealthCheck
    {
        public const string Secret = "Password=hunter2";

        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException($"Could not connect with Host=db;{Secret}");
    }

    private sealed class CancellableHangingCheck : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            return HealthCheckResult.Healthy();
        }
    }

    private sealed class UncancellableHangingCheck : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            new TaskCompletionSource<HealthCheckResult>().Task;
    }
}

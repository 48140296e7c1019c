using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Rag.Core.Redis;
using Rag.LocalHost.Processes;

namespace Rag.Tests.Redis;

[Collection(RedisCollection.Name)]
public sealed class RedisHostingTests(RedisServerFixture fixture)
{
    [Fact]
    public void MissingConnectionStringIsAClearStartupError()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddRedisClient("cache"));

        Assert.Contains("ConnectionStrings:cache", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MalformedConnectionStringNamesTheProblemWithoutThePassword()
    {
        var builder = CreateBuilder("localhost:6379,password=hunter2,bogus=1");

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddRedisClient("cache"));

        Assert.Contains("bogus", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidOptionsFailAtStart()
    {
        var builder = CreateBuilder(fixture.Server.ConnectionString);
        builder.Configuration["Redis:ReconnectBaseDelay"] = "00:00:05";
        builder.Configuration["Redis:ReconnectMaxDelay"] = "00:00:01";
        builder.AddRedisClient("cache");
        using var host = builder.Build();

        await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
    }

    [Fact]
    public async Task RegistersAWorkingSingletonClientWithOptionsFromConfiguration()
    {
        var builder = CreateBuilder(fixture.Server.ConnectionString);
        builder.Configuration["Redis:CommandTimeout"] = "00:00:03";
        builder.AddRedisClient("cache");
        using var host = builder.Build();
        await host.StartAsync();

        var client = host.Services.GetRequiredService<IRedisClient>();

        Assert.Same(client, host.Services.GetRequiredService<IRedisClient>());
        Assert.Equal(TimeSpan.FromSeconds(3), host.Services.GetRequiredService<IOptions<RedisClientOptions>>().Value.CommandTimeout);
        await client.PingAsync();
        await host.StopAsync();
    }

    [Fact]
    public async Task HealthCheckIsHealthyWhenRedisAnswers()
    {
        using var host = BuildHost(fixture.Server.ConnectionString);

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, report.Entries["redis"].Status);
    }

    [Fact]
    public async Task HealthCheckIsUnhealthyQuicklyWhenNothingListens()
    {
        using var host = BuildHost($"127.0.0.1:{FreePort.GetFreeTcpPort()}");

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync().WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(HealthStatus.Unhealthy, report.Entries["redis"].Status);
    }

    [Fact]
    public async Task HealthCheckIsUnhealthyWithinItsTimeoutWhenRedisHangs()
    {
        await using var server = await RedisServer.StartAsync();
        await using var admin = RedisClientFactory.Create(server.ConnectionString);
        using var host = BuildHost(server.ConnectionString);
        await admin.ExecuteAsync("CLIENT", ["PAUSE", 10000, "ALL"]);

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync().WaitAsync(TimeSpan.FromSeconds(6));

        Assert.Equal(HealthStatus.Unhealthy, report.Entries["redis"].Status);
        Assert.Contains("PING", report.Entries["redis"].Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EmitsASpanAndMetricsPerCommandWithoutValues()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == RedisTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var measurements = new ConcurrentQueue<(string Instrument, string? Operation)>();
        using var meterListener = ListenToRedisMetrics(measurements);
        var key = $"telemetry:{Guid.NewGuid():N}";

        await fixture.Client.SetAsync(key, "secret-value");
        await Assert.ThrowsAsync<RedisServerException>(() => fixture.Client.ExecuteAsync("HGET", [key, "f"]));

        var set = Assert.Single(spans, span => span.OperationName == "SET" && span.Status == ActivityStatusCode.Unset);
        Assert.Equal("redis", set.GetTagItem("db.system"));
        Assert.Equal("SET", set.GetTagItem("db.operation"));
        Assert.DoesNotContain(set.Tags, tag => tag.Value is { } value && (value.Contains(key, StringComparison.Ordinal) || value.Contains("secret-value", StringComparison.Ordinal)));
        Assert.Contains(spans, span => span.OperationName == "HGET" && span.Status == ActivityStatusCode.Error);
        Assert.Contains(("rag.redis.commands", "SET"), measurements);
        Assert.Contains(("rag.redis.command.duration", "SET"), measurements);
        Assert.Contains(("rag.redis.command.failures", "HGET"), measurements);
    }

    [Fact]
    public async Task ACommandSpanIsAChildOfTheCallersActivityAndDoesNotReplaceIt()
    {
        using var callers = new ActivitySource($"redis-span-parent-{Guid.NewGuid():N}");
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == RedisTelemetry.Name || source.Name == callers.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        using var parent = callers.StartActivity("caller")!;

        var pending = fixture.Client.ExecuteAsync("PING", []);

        // The caller's flow goes on under its own activity while the command is in flight.
        Assert.Same(parent, Activity.Current);
        await pending;
        Assert.Same(parent, Activity.Current);
        var ping = Assert.Single(spans, span => span.OperationName == "PING" && span.ParentSpanId == parent.SpanId);
        Assert.Equal(parent.TraceId, ping.TraceId);
    }

    [Fact]
    public async Task MetricsCountSuccessesErrorsAndCancellationsWhenNoSpanIsRecorded()
    {
        // Without an ActivityListener no span is made; the command still records its own metrics when it ends.
        var measurements = new ConcurrentQueue<(string Instrument, string? Operation)>();
        using var meterListener = ListenToRedisMetrics(measurements);
        var key = $"telemetry:{Guid.NewGuid():N}";
        await fixture.Client.SetAsync(key, "value");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        Assert.Equal(5, (await fixture.Client.ExecuteAsync("STRLEN", [key])).AsInt64());
        await Assert.ThrowsAsync<RedisServerException>(() => fixture.Client.ExecuteAsync("LLEN", [key]));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fixture.Client.ExecuteAsync("TYPE", [key], cancelled.Token));

        Assert.Contains(("rag.redis.commands", "STRLEN"), measurements);
        Assert.Contains(("rag.redis.command.duration", "STRLEN"), measurements);
        Assert.DoesNotContain(("rag.redis.command.failures", "STRLEN"), measurements);
        Assert.Contains(("rag.redis.command.failures", "LLEN"), measurements);
        Assert.Contains(("rag.redis.command.failures", "TYPE"), measurements);
    }

    private static string? Operation(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "db.operation")
            {
                return tag.Value as string;
            }
        }

        return null;
    }

    private static HostApplicationBuilder CreateBuilder(string connectionString)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration["ConnectionStrings:cache"] = connectionString;
        return builder;
    }

    private static IHost BuildHost(string connectionString)
    {
        var builder = CreateBuilder(connectionString);
        builder.AddRedisClient("cache");
        return builder.Build();
    }

    /// <summary>Records every measurement of the Redis client's instruments, with its operation, from now on.</summary>
    private static MeterListener ListenToRedisMetrics(ConcurrentQueue<(string Instrument, string? Operation)> measurements)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == RedisTelemetry.Name)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) => measurements.Enqueue((instrument.Name, Operation(tags))));
        listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) => measurements.Enqueue((instrument.Name, Operation(tags))));
        listener.Start();
        return listener;
    }
}

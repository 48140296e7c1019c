using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Rag.Tests.ServiceDefaults;

public sealed class TelemetryTests
{
    [Fact]
    public async Task RequestProducesAServerSpanAndItsOutgoingCallAClientSpanInTheSameTrace()
    {
        await using var downstream = await LoopbackServer.StartAsync(app => app.MapGet("/ping", () => "pong"));
        var exporter = new CollectingActivityExporter();
        var builder = LoopbackServer.CreateBuilder(new Dictionary<string, string?>
        {
            ["services:downstream:http:0"] = downstream.Address.ToString(),
        });
        builder.AddServiceDefaults();
        builder.Services.ConfigureTracerProvider(tracing => tracing.AddProcessor(new SimpleActivityExportProcessor(exporter)));
        builder.Services.AddHttpClient("downstream", client => client.BaseAddress = new Uri("http://downstream"));
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGet("/call", (IHttpClientFactory clients, CancellationToken cancellationToken) =>
            clients.CreateClient("downstream").GetStringAsync("/ping", cancellationToken));
        await using var server = await LoopbackServer.StartAsync(app);
        using var client = LoopbackServer.CreateClient(server.Address);

        var callerSpan = ActivitySpanId.CreateRandom();
        var traceId = ActivityTraceId.CreateRandom();
        Assert.Equal("pong", await SendAsync(client, "/call", traceId, callerSpan));

        var spans = await exporter.WaitForAsync(exported =>
            exported.Any(span => span.TraceId == traceId && span.Kind == ActivityKind.Client));
        var serverSpan = Assert.Single(spans, span => span.ParentSpanId == callerSpan);
        Assert.Equal("Microsoft.AspNetCore", serverSpan.Source.Name);
        Assert.Equal(ActivityKind.Server, serverSpan.Kind);
        Assert.Equal(traceId, serverSpan.TraceId);
        var clientSpan = Assert.Single(spans, span => span.TraceId == traceId && span.Kind == ActivityKind.Client);
        Assert.Equal("System.Net.Http", clientSpan.Source.Name);
        Assert.Equal(serverSpan.SpanId, clientSpan.ParentSpanId);
    }

    [Fact]
    public async Task HealthProbesProduceNoSpans()
    {
        var exporter = new CollectingActivityExporter();
        var builder = LoopbackServer.CreateBuilder();
        builder.AddServiceDefaults();
        builder.Services.ConfigureTracerProvider(tracing => tracing.AddProcessor(new SimpleActivityExportProcessor(exporter)));
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGet("/ping", () => "pong");
        await using var server = await LoopbackServer.StartAsync(app);
        using var client = LoopbackServer.CreateClient(server.Address);

        // The caller marks every trace as sampled, so only the suppression can keep the probes out.
        var healthTrace = ActivityTraceId.CreateRandom();
        var aliveTrace = ActivityTraceId.CreateRandom();
        var pingTrace = ActivityTraceId.CreateRandom();
        await SendAsync(client, "/health", healthTrace, ActivitySpanId.CreateRandom());
        await SendAsync(client, "/alive", aliveTrace, ActivitySpanId.CreateRandom());
        await SendAsync(client, "/ping", pingTrace, ActivitySpanId.CreateRandom());

        // One client, one keep-alive connection: Kestrel ends a request's activity before it reads the next
        // request, so once /ping's span is exported the probes' spans would have been too.
        var spans = await exporter.WaitForAsync(exported => exported.Any(span => span.TraceId == pingTrace));
        Assert.DoesNotContain(spans, span => span.TraceId == healthTrace || span.TraceId == aliveTrace);
    }

    [Fact]
    public async Task RagMetersAndFrameworkMetersAreCollectedAndOthersAreNot()
    {
        var exporter = new CollectingMetricExporter();
        var builder = LoopbackServer.CreateBuilder();
        builder.AddServiceDefaults();
        builder.Services.ConfigureMeterProvider(metrics => metrics.AddReader(new BaseExportingMetricReader(exporter)));
        var app = builder.Build();
        app.MapGet("/ping", () => "pong");
        await using var server = await LoopbackServer.StartAsync(app);
        using var client = LoopbackServer.CreateClient(server.Address);
        Assert.Equal("pong", await client.GetStringAsync("/ping"));

        var ragMeterName = $"Rag.Tests.Telemetry{Guid.NewGuid():N}";
        var otherMeterName = $"Other.Tests.Telemetry{Guid.NewGuid():N}";
        using var ragMeter = new Meter(ragMeterName);
        using var otherMeter = new Meter(otherMeterName);
        ragMeter.CreateCounter<long>("rag.documents.ingested").Add(3);
        otherMeter.CreateCounter<long>("other.things").Add(5);

        Assert.True(app.Services.GetRequiredService<MeterProvider>().ForceFlush((int)LoopbackServer.WaitTimeout.TotalMilliseconds));

        var ragMetric = Assert.Single(exporter.Exported, metric => metric.MeterName == ragMeterName);
        Assert.Equal("rag.documents.ingested", ragMetric.Name);
        Assert.Equal(3, ragMetric.LongSum);
        Assert.DoesNotContain(exporter.Exported, metric => metric.MeterName == otherMeterName);
        Assert.Contains(exporter.Exported, metric => metric.MeterName == "Microsoft.AspNetCore.Hosting" && metric.Name == "http.server.request.duration");
    }

    private static async Task<string> SendAsync(HttpClient client, string path, ActivityTraceId traceId, ActivitySpanId parentSpanId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("traceparent", $"00-{traceId.ToHexString()}-{parentSpanId.ToHexString()}-01");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }
}

using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Rag.Tests.ServiceDefaults;

public sealed partial class OtlpExportTests
{
    private sealed record OtlpPost(string Path, string? ContentType, string? ApiKey, byte[] Body);

    [Fact]
    public async Task TracesMetricsAndLogsReachAnHttpProtobufCollectorWithTheConfiguredResourceAndHeaders()
    {
        var received = new ConcurrentQueue<OtlpPost>();
        await using var collector = await LoopbackServer.StartAsync(app => app.MapPost("/v1/{signal}", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            received.Enqueue(new OtlpPost(request.Path, request.ContentType, request.Headers["x-otlp-api-key"], body.ToArray()));

            // An empty protobuf message is a valid Export*ServiceResponse.
            return Results.Bytes([], "application/x-protobuf");
        }));

        var serviceName = $"rag-otlp-test-{Guid.NewGuid():N}";
        var instanceId = Guid.NewGuid().ToString("N");
        var builder = LoopbackServer.CreateBuilder(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Address.GetLeftPart(UriPartial.Authority),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_EXPORTER_OTLP_HEADERS"] = "x-otlp-api-key=test-key",
            ["OTEL_SERVICE_NAME"] = serviceName,
            ["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={instanceId}",
        });
        builder.AddServiceDefaults();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGet("/ping", (ILogger<OtlpExportTests> logger) =>
        {
            LogPinged(logger);
            return "pong";
        });

        await using (var server = await LoopbackServer.StartAsync(app))
        {
            using var client = LoopbackServer.CreateClient(server.Address);
            Assert.Equal("pong", await client.GetStringAsync("/ping"));
        }

        // Stopping the app flushed every exporter.
        var posts = received.ToArray();
        foreach (var signal in new[] { "/v1/traces", "/v1/metrics", "/v1/logs" })
        {
            var signalPosts = posts.Where(post => post.Path == signal).ToList();
            Assert.NotEmpty(signalPosts);
            Assert.All(signalPosts, post =>
            {
                Assert.Equal("application/x-protobuf", post.ContentType);
                Assert.Equal("test-key", post.ApiKey);
                Assert.True(Contains(post.Body, serviceName), $"{signal} lacks the OTEL_SERVICE_NAME");
                Assert.True(Contains(post.Body, instanceId), $"{signal} lacks the service.instance.id from OTEL_RESOURCE_ATTRIBUTES");
            });
        }

        Assert.Contains(posts, post => post.Path == "/v1/logs" && Contains(post.Body, "Pinged by the OTLP test"));
    }

    // Protobuf writes strings as plain UTF-8, so a resource value shows up verbatim in the payload.
    private static bool Contains(byte[] body, string text) => body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;

    [LoggerMessage(Level = LogLevel.Information, Message = "Pinged by the OTLP test")]
    private static partial void LogPinged(ILogger logger);
}

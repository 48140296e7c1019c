using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Rag.Core.Webhooks;
using Rag.Tests.Graph;
using Rag.Tests.ServiceDefaults;

namespace Rag.Tests.Operations;

// Webhooks end to end: the outbox row written with the event, the worker's sender, a receiver on loopback.
[Collection(GraphCollection.Name)]
public sealed class WebhookGraphTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private sealed record ReceivedRequest(string? DeliveryId, string? Event, string? Timestamp, string? Signature, byte[] Body, DateTimeOffset ReceivedAt);

    [Fact]
    public async Task AReceiverThatFailsTwiceGetsTheSignedEventOnTheThirdTryAndTheHistoryShowsIt()
    {
        var received = new ConcurrentQueue<ReceivedRequest>();
        await using var receiver = await LoopbackServer.StartAsync(app => app.MapPost("/hooks", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            received.Enqueue(new ReceivedRequest(
                request.Headers[WebhookSignature.IdHeader],
                request.Headers[WebhookSignature.EventHeader],
                request.Headers[WebhookSignature.TimestampHeader],
                request.Headers[WebhookSignature.SignatureHeader],
                body.ToArray(),
                DateTimeOffset.UtcNow));

            // The first two completed events fail; everything after succeeds.
            var completedSoFar = received.Count(r => r.Event == WebhookEvents.DocumentCompleted);
            return request.Headers[WebhookSignature.EventHeader] == WebhookEvents.DocumentCompleted && completedSoFar <= 2
                ? Results.StatusCode(StatusCodes.Status503ServiceUnavailable)
                : Results.NoContent();
        }));

        await using var graph = await TestGraph.StartAsync(new Dictionary<string, string?>
        {
            ["Webhooks__AllowPrivateAddresses"] = "true",
            ["Webhooks__RequireHttps"] = "false",
            ["Webhooks__PollInterval"] = "00:00:00.200",
            ["Webhooks__InitialBackoff"] = "00:00:00.500",
        });
        using var api = await RagApiClient.SignInAsAdminAsync(graph);

        using var registration = await api.Http.PostAsJsonAsync("/api/v1/webhooks", new
        {
            url = new Uri(receiver.Address, "/hooks").ToString(),
            events = new[] { WebhookEvents.DocumentCompleted, WebhookEvents.DocumentFailed, WebhookEvents.DocumentDeleted },
        });
        var registered = JsonNode.Parse(await registration.Content.ReadAsStringAsync())!;
        Assert.True(registration.StatusCode == HttpStatusCode.Created, registered.ToJsonString());
        var secret = registered.GetString("secret");
        var webhookId = registered["webhook"]!.GetGuid("id");

        var document = (await api.UploadAcceptedAsync("webhooks", ("note.txt", Encoding.UTF8.GetBytes("The lighthouse keeper logs the fog horn."))))[0];
        var documentId = document.GetGuid("document_id");
        var attempts = await WaitForAsync(() =>
        {
            var completed = received.Where(r => r.Event == WebhookEvents.DocumentCompleted).ToList();
            return completed.Count >= 3 ? completed : null;
        });

        // One delivery tried three times: the same id each time (a receiver drops repeats), each attempt freshly signed.
        Assert.Single(attempts.Select(a => a.DeliveryId).Distinct());
        Assert.All(attempts, attempt =>
        {
            Assert.True(
                WebhookSignature.Verify(secret, attempt.Timestamp, attempt.Signature, attempt.Body, attempt.ReceivedAt, TimeSpan.FromMinutes(5)),
                $"Signature of attempt at {attempt.ReceivedAt:O} does not verify");
            var payload = JsonNode.Parse(attempt.Body)!;
            Assert.Equal(WebhookEvents.DocumentCompleted, payload.GetString("event"));
            Assert.Equal(documentId, payload.GetGuid("document_id"));
        });

        // The backoff waited between the tries: 0.5 s, then 1 s.
        Assert.True(attempts[2].ReceivedAt - attempts[0].ReceivedAt >= TimeSpan.FromSeconds(1.4), string.Join(", ", attempts.Select(a => a.ReceivedAt.ToString("O"))));

        var history = await WaitForAsync(async () =>
        {
            var deliveries = (await api.Http.GetFromJsonAsync<JsonObject>($"/api/v1/webhooks/{webhookId}/deliveries"))!["deliveries"]!.AsArray();
            return deliveries.FirstOrDefault(d => d!.GetString("event") == WebhookEvents.DocumentCompleted && d!.GetString("status") == "delivered");
        });
        Assert.Equal(3, history!["attempts"]!.GetValue<int>());
        Assert.Equal(204, history["last_status_code"]!.GetValue<int>());
        Assert.Equal(attempts[0].DeliveryId, history.GetString("id"));

        // Deleting the document announces that too, first time.
        Assert.Equal(HttpStatusCode.NoContent, (await api.Http.DeleteAsync($"/api/v1/documents/{documentId}")).StatusCode);
        var deleted = await WaitForAsync(() => received.FirstOrDefault(r => r.Event == WebhookEvents.DocumentDeleted));
        Assert.Equal(documentId, JsonNode.Parse(deleted.Body)!.GetGuid("document_id"));

        // A document that cannot be processed announces its failure.
        var empty = (await api.UploadAcceptedAsync("webhooks", ("blank.txt", Encoding.UTF8.GetBytes("   \n  "))))[0];
        var failed = await WaitForAsync(() => received.FirstOrDefault(r => r.Event == WebhookEvents.DocumentFailed));
        Assert.Equal(empty.GetGuid("document_id"), JsonNode.Parse(failed.Body)!.GetGuid("document_id"));
    }

    private static Task<T> WaitForAsync<T>(Func<T?> found) where T : class => WaitForAsync(() => Task.FromResult(found()));

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> found) where T : class
    {
        using var deadline = new CancellationTokenSource(Patience);
        while (true)
        {
            if (await found() is { } result)
            {
                return result;
            }

            try
            {
                await Task.Delay(100, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Not seen within {Patience}.");
            }
        }
    }
}

using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json.Nodes;
using Rag.Api.Answers;
using Rag.Tests.Answers;
using Rag.Tests.Graph;
using Rag.Tests.Infrastructure;
using Rag.Tests.Models;

namespace Rag.Tests.Operations;

// SIGTERM to the API while two chat answers stream from a slow model: one that can finish within the shutdown grace
// period, and one that never would. Neither response may break.
[Collection(GraphCollection.Name)]
public sealed class ChatShutdownGraphTests
{
    // The API's host shutdown timeout (configuration key shutdownTimeoutSeconds): its grace period after SIGTERM.
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    // Slack for a loaded machine on top of the grace period; the process is killed only after both.
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(15);

    private const string Manual = "# Zorblax relay manual\n\nThe Zorblax relay listens on TCP port 7431 by default. It restarts itself after a power cut.";

    [Fact]
    public async Task ATerminatedApiFinishesTheAnswerItCanAndCutsTheOtherShortWithAFinalEventThenExitsCleanly()
    {
        await using var model = await FakeOpenAIServer.StartAsync();
        await using var graph = await TestGraph.StartAsync(new Dictionary<string, string?>
        {
            ["AI__Endpoint"] = model.Endpoint.ToString(),
            ["AI__Key"] = FakeOpenAIServer.ValidKey,
            ["AI__ChatModel"] = "fake-chat",
            ["shutdownTimeoutSeconds"] = Grace.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        using var api = await RagApiClient.SignInAsAdminAsync(graph);
        await api.IngestAsync("chat-shutdown", "relay.md", Manual);

        // Each streamed model answer keeps the behaviour it started with.
        model.StreamForever = true;
        await using var endless = await ChatStream.StartAsync(api, "What does the Zorblax relay do after a power cut?");
        await endless.ReadUntilAsync("delta");
        model.StreamForever = false;
        model.AnswerWords = ["The", " Zorblax", " relay", " listens", " on", " TCP", " port", " 7431", " by", " default", " [1]", "."];
        model.WordDelay = TimeSpan.FromMilliseconds(250);
        await using var finishing = await ChatStream.StartAsync(api, "Which TCP port does the Zorblax relay listen on?");
        await finishing.ReadUntilAsync("delta");

        var sinceTerm = Stopwatch.StartNew();
        var apiStopping = graph.Api.StopAsync(Grace + Margin);

        // The listener closes at once: a new connection is refused while the answers in flight go on.
        await AssertNewConnectionsAreRefusedAsync(graph.Api.Url);

        // A torn response would throw here: the event stream parser reads to the end of a complete response only.
        var finished = await finishing.ReadToEndAsync(Grace + Margin);
        var finishedAfter = sinceTerm.Elapsed;
        var cut = await endless.ReadToEndAsync(Grace + Margin);
        var cutAfter = sinceTerm.Elapsed;

        Assert.Equal("done", finished.Last().Type);
        var done = finished.Last().Data;
        Assert.Equal("The Zorblax relay listens on TCP port 7431 by default [1].", done.Text("answer"));
        Assert.Equal(done.Text("answer"), string.Concat(finished.Where(e => e.Type == "delta").Select(e => e.Data.Text("text"))));
        Assert.True(finishedAfter < Grace, $"The answer that could finish ended {finishedAfter.TotalSeconds:0.0} s after SIGTERM; the grace period is {Grace.TotalSeconds} s.");

        Assert.Equal(Rag.Api.Jobs.JobsApi.ServerStoppingEvent, cut.Last().Type);
        Assert.Equal(AnswersApi.ServerStoppingMessage, cut.Last().Data.Text("message"));
        Assert.DoesNotContain(cut, e => e.Type == "done");
        Assert.True(cutAfter < Grace, $"The endless answer ended {cutAfter.TotalSeconds:0.0} s after SIGTERM; the grace period is {Grace.TotalSeconds} s.");

        await apiStopping;
        Assert.True(graph.Api.ExitCode == 0, $"The API exited with code {graph.Api.ExitCode} ({sinceTerm.Elapsed.TotalSeconds:0.0} s after SIGTERM); see {graph.Api.LogFile}.");

        // The finished turn is in its conversation; the one cut short is not.
        var stored = await Sql.QueryAsync(
            graph.DatabaseConnectionString,
            $"SELECT role, content FROM messages WHERE conversation_id = '{done.GetGuid("conversation_id")}' ORDER BY created_at, id",
            row => (Role: row.GetString(0), Content: row.GetString(1)));
        Assert.Equal([("user", "Which TCP port does the Zorblax relay listen on?"), ("assistant", done.Text("answer"))], stored);
        var cutConversation = cut.First(e => e.Type == "sources").Data.GetGuid("conversation_id");
        Assert.Equal(0L, await Sql.ScalarAsync<long>(graph.DatabaseConnectionString, $"SELECT count(*) FROM messages WHERE conversation_id = '{cutConversation}'"));
    }

    private static async Task AssertNewConnectionsAreRefusedAsync(Uri api)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            // A new client each time: a pooled connection would not show whether the listener still accepts.
            using var fresh = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            try
            {
                using var response = await fresh.GetAsync(new Uri(api, "/alive"), deadline.Token);
            }
            catch (HttpRequestException)
            {
                return;
            }

            await Task.Delay(100, deadline.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            Assert.False(deadline.IsCancellationRequested, "The API still accepted new connections 10 s after SIGTERM.");
        }
    }

    /// <summary>One POST /api/v1/chat, its events read step by step, every read bounded.</summary>
    private sealed class ChatStream : IAsyncDisposable
    {
        private readonly HttpResponseMessage _response;
        private readonly CancellationTokenSource _readTimeout = new();
        private readonly IAsyncEnumerator<SseItem<string>> _events;
        private readonly List<(string Type, JsonObject Data)> _read = [];

        private ChatStream(HttpResponseMessage response, Stream body)
        {
            _response = response;
            _events = SseParser.Create(body).EnumerateAsync(_readTimeout.Token).GetAsyncEnumerator();
        }

        public static async Task<ChatStream> StartAsync(RagApiClient api, string question)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/chat")
            {
                Content = JsonContent.Create(new { query = question, collection = "chat-shutdown" }),
            };
            var response = await api.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                Assert.Fail($"/chat answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(timeout.Token)}");
            }

            return new ChatStream(response, await response.Content.ReadAsStreamAsync(timeout.Token));
        }

        public async Task ReadUntilAsync(string type)
        {
            _readTimeout.CancelAfter(TimeSpan.FromSeconds(30));
            while (_read.LastOrDefault().Type != type)
            {
                Assert.True(await NextAsync(), $"The chat stream ended before a '{type}' event: {Describe()}");
            }
        }

        public async Task<List<(string Type, JsonObject Data)>> ReadToEndAsync(TimeSpan timeout)
        {
            _readTimeout.CancelAfter(timeout);
            while (await NextAsync())
            {
                // Each event is kept in _read.
            }

            return _read;
        }

        public async ValueTask DisposeAsync()
        {
            await _events.DisposeAsync();
            _response.Dispose();
            _readTimeout.Dispose();
        }

        private async Task<bool> NextAsync()
        {
            try
            {
                if (!await _events.MoveNextAsync())
                {
                    return false;
                }
            }
            catch (OperationCanceledException) when (_readTimeout.IsCancellationRequested)
            {
                Assert.Fail($"The chat stream sent nothing more in time; so far: {Describe()}");
            }

            _read.Add((_events.Current.EventType, JsonNode.Parse(_events.Current.Data)!.AsObject()));
            return true;
        }

        private string Describe() => string.Join(", ", _read.Select(e => e.Type));
    }
}

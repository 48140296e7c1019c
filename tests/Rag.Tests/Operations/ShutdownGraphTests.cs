using System.Text;
using Rag.Tests.Graph;

namespace Rag.Tests.Operations;

// SIGTERM (ServiceProcess.StopAsync) to the worker during a job and to the API during a server-sent event stream.
[Collection(GraphCollection.Name)]
public sealed class ShutdownGraphTests
{
    private static readonly TimeSpan ProcessGrace = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ATerminatedWorkerFinishesOrHandsBackItsJobAndATerminatedApiEndsItsEventStreamCleanly()
    {
        await using var graph = await TestGraph.StartAsync(new Dictionary<string, string?>
        {
            ["Ingestion__Concurrency"] = "1",
            ["Ingestion__ShutdownGracePeriod"] = "00:00:01",
        });
        using var api = await RagApiClient.SignInAsAdminAsync(graph);
        var worker = graph.Ingestion[0];

        var document = (await api.UploadAcceptedAsync("shutdown", ("manual.md", LargeDocument(paragraphs: 10_000))))[0];
        var jobId = document.GetGuid("job_id");
        await WaitUntilAsync(async () => (await api.GetJobAsync(jobId)).GetString("status") != "queued", TimeSpan.FromSeconds(60));

        // The worker gets one second to finish; otherwise it releases the job, which then counts no attempt.
        await worker.StopAsync(ProcessGrace);
        Assert.Null(worker.ProcessId);
        var afterWorkerStop = await api.GetJobAsync(jobId);
        Assert.True(
            afterWorkerStop.GetString("status") == "completed" || (afterWorkerStop.GetString("status") == "queued" && afterWorkerStop["attempts"]!.GetValue<int>() == 0),
            $"The job was neither finished nor handed back: {afterWorkerStop.ToJsonString()}");

        // A second job waits in the queue, so its event stream stays open until the API is told to stop.
        var waiting = (await api.UploadAcceptedAsync("shutdown", ("note.txt", Encoding.UTF8.GetBytes("A note written while the worker was away."))))[0];
        using var stream = await api.Http.GetAsync($"/api/v1/jobs/{waiting.GetGuid("job_id")}/events", HttpCompletionOption.ResponseHeadersRead);
        stream.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        Assert.Equal("job", await ReadEventNameAsync(reader));

        var apiStopping = graph.Api.StopAsync(ProcessGrace);
        var events = new List<string>();
        using (var readTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            // ReadLineAsync returns null at a clean end of the response; a broken one throws.
            while (await reader.ReadLineAsync(readTimeout.Token) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    events.Add(line["event: ".Length..]);
                }
            }
        }

        Assert.Equal("server_stopping", events.LastOrDefault());
        await apiStopping;
        Assert.Null(graph.Api.ProcessId);

        // Back up: nothing was lost.
        await graph.Api.StartAsync();
        await worker.StartAsync();
        foreach (var job in (Guid[])[jobId, waiting.GetGuid("job_id")])
        {
            var finished = await api.WaitForJobAsync(job, TimeSpan.FromSeconds(120));
            Assert.Equal("completed", finished.GetString("status"));
            Assert.Equal(1, finished["attempts"]!.GetValue<int>());
        }
    }

    private static async Task<string?> ReadEventNameAsync(StreamReader reader)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                return line["event: ".Length..];
            }
        }

        return null;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!await condition())
        {
            try
            {
                await Task.Delay(100, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Condition not met within {timeout}.");
            }
        }
    }

    private static byte[] LargeDocument(int paragraphs)
    {
        var text = new StringBuilder("# Survey handbook\n\n");
        for (var i = 0; i < paragraphs; i++)
        {
            text.Append($"Paragraph {i}: the survey team checks gauge {i % 89} at station {i * 17 % 997} and files the reading before noon.\n\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}

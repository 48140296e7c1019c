using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Rag.Core.Redis;

namespace Rag.Tests.Redis;

/// <summary>
/// Replies are completed in batches whose callers' continuations run synchronously on one thread-pool thread:
/// whatever those continuations do must not stall or break the client.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisCompletionTests(RedisServerFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ContinuationsThatBlockOnAnotherCommandDoNotDeadlock()
    {
        await using var client = fixture.CreateClient();
        var key = $"completion:{Guid.NewGuid():N}";
        await client.SetAsync(key, "nested");

        // Sent together, so their replies share a batch; each continuation then waits synchronously for a reply
        // that can only arrive in a later batch.
        var continuations = Enumerable.Range(0, 8)
            .Select(_ => client.PingAsync().ContinueWith(
                _ => client.GetStringAsync(key).GetAwaiter().GetResult(),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default))
            .ToArray();

        var results = await Task.WhenAll(continuations).WaitAsync(Wait);
        Assert.All(results, value => Assert.Equal("nested", value));
    }

    [Fact]
    public async Task AContinuationThatBlocksDoesNotHoldUpOtherCallersReplies()
    {
        await using var client = fixture.CreateClient();
        var key = $"completion:{Guid.NewGuid():N}";
        using var release = new ManualResetEventSlim();
        var blocking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocked = client.PingAsync().ContinueWith(
            _ =>
            {
                blocking.SetResult();

                // Longer than the calls below may take in all on a busy machine, so it is released, not timed out.
                return release.Wait(TimeSpan.FromMinutes(2));
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        await blocking.Task.WaitAsync(Wait);

        for (var i = 0; i < 50; i++)
        {
            var value = i.ToString(CultureInfo.InvariantCulture);
            await client.SetAsync(key, value).WaitAsync(Wait);
            Assert.Equal(value, await client.GetStringAsync(key).WaitAsync(Wait));
        }

        Assert.False(blocked.IsCompleted);
        release.Set();
        Assert.True(await blocked.WaitAsync(Wait));
    }

    [Fact]
    public async Task ThrowingContinuationsDoNotKeepOtherCallersFromTheirReplies()
    {
        await using var client = fixture.CreateClient();

        // Alternate callers whose continuations throw with callers that read their reply, all pipelined together.
        var callers = Enumerable.Range(0, 200).Select(i =>
        {
            var value = i.ToString(CultureInfo.InvariantCulture);
            var reply = client.ExecuteAsync("ECHO", [value]);
            return i % 2 == 0
                ? reply.ContinueWith<string>(
                    _ => throw new InvalidOperationException($"continuation {value} failed"),
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default)
                : reply.ContinueWith(
                    echoed => echoed.Result.AsString() == value ? value : throw new InvalidOperationException($"{value} got {echoed.Result}"),
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
        }).ToArray();

        await Task.WhenAny(Task.WhenAll(callers)).WaitAsync(Wait);
        for (var i = 0; i < callers.Length; i++)
        {
            if (i % 2 == 0)
            {
                var error = Assert.IsType<InvalidOperationException>(callers[i].Exception?.InnerException);
                Assert.Equal($"continuation {i} failed", error.Message);
            }
            else
            {
                Assert.Equal(i.ToString(CultureInfo.InvariantCulture), await callers[i]);
            }
        }

        Assert.Equal("after", (await client.ExecuteAsync("ECHO", ["after"]).WaitAsync(Wait)).AsString());
    }

    [Fact]
    public async Task EachCallerKeepsItsOwnActivityWhenContinuationsShareAThread()
    {
        using var callersSource = new ActivitySource($"redis-completion-{Guid.NewGuid():N}");
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == RedisTelemetry.Name || source.Name == callersSource.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        await using var client = fixture.CreateClient();
        var wrong = new ConcurrentQueue<string>();

        // Half the callers run under an activity of their own, half under none; the command spans end on the
        // completing thread, between one caller's continuation and the next.
        await Task.WhenAll(Enumerable.Range(0, 32).Select(caller => Task.Run(async () =>
        {
            using var own = caller % 2 == 0 ? callersSource.StartActivity($"caller-{caller}") : null;
            for (var i = 0; i < 50; i++)
            {
                await client.PingAsync();
                if (Activity.Current != own)
                {
                    wrong.Enqueue($"caller {caller} saw {Activity.Current?.OperationName ?? "none"} instead of {own?.OperationName ?? "none"}");
                }
            }
        }))).WaitAsync(Wait);

        Assert.Empty(wrong);
    }
}

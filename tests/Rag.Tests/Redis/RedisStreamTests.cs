using System.Diagnostics;
using Rag.Core.Redis;

namespace Rag.Tests.Redis;

[Collection(RedisCollection.Name)]
public sealed class RedisStreamTests(RedisServerFixture fixture)
{
    private readonly IRedisClient _client = fixture.Client;
    private readonly string _stream = $"stream:{Guid.NewGuid():N}";

    [Fact]
    public async Task AddReadAcknowledgeWithAConsumerGroup()
    {
        Assert.True(await _client.StreamCreateGroupAsync(_stream, "workers", "0"));
        Assert.False(await _client.StreamCreateGroupAsync(_stream, "workers", "0"));

        var first = await _client.StreamAddAsync(_stream, [new("job", "1"), new("body", new byte[] { 0, 255 })]);
        var second = await _client.StreamAddAsync(_stream, [new("job", "2")]);

        var read = await _client.StreamReadGroupAsync(_stream, "workers", "alice", count: 10);
        Assert.Equal([first, second], read.Select(entry => entry.Id));
        Assert.Equal("1"u8.ToArray(), read[0].Fields["job"]);
        Assert.Equal(new byte[] { 0, 255 }, read[0].Fields["body"]);
        Assert.Empty(await _client.StreamReadGroupAsync(_stream, "workers", "alice", count: 10));

        var pending = await _client.StreamPendingSummaryAsync(_stream, "workers");
        Assert.Equal(2, pending.Count);
        Assert.Equal(first, pending.SmallestId);
        Assert.Equal(second, pending.LargestId);
        Assert.Equal(2, pending.Consumers["alice"]);

        var redelivered = await _client.StreamReadGroupAsync(_stream, "workers", "alice", count: 10, startId: "0");
        Assert.Equal([first, second], redelivered.Select(entry => entry.Id));

        Assert.Equal(1, await _client.StreamAcknowledgeAsync(_stream, "workers", [first]));
        Assert.Equal(1, (await _client.StreamPendingSummaryAsync(_stream, "workers")).Count);
        Assert.Equal(2, await _client.StreamLengthAsync(_stream));
        Assert.Equal(1, await _client.StreamDeleteAsync(_stream, [first]));
        Assert.Equal(1, await _client.StreamLengthAsync(_stream));
    }

    [Fact]
    public async Task GroupCreationMakesTheStreamAndMaxlenTrimsApproximately()
    {
        await _client.StreamCreateGroupAsync(_stream, "g");
        Assert.Equal(0, await _client.StreamLengthAsync(_stream));

        for (var i = 0; i < 1000; i++)
        {
            await _client.StreamAddAsync(_stream, [new("i", i)], approximateMaxLength: 100);
        }

        // "~" trims whole radix-tree nodes only, so the length stays near, not exactly at, the limit.
        Assert.InRange(await _client.StreamLengthAsync(_stream), 100, 300);
    }

    [Fact]
    public async Task AutoclaimReclaimsAnEntryAnotherConsumerTookButNeverAcknowledged()
    {
        await _client.StreamCreateGroupAsync(_stream, "workers", "0");
        var id = await _client.StreamAddAsync(_stream, [new("job", "crashy")]);
        Assert.Single(await _client.StreamReadGroupAsync(_stream, "workers", "crashed-worker", count: 1));

        var tooSoon = await _client.StreamAutoClaimAsync(_stream, "workers", "rescuer", TimeSpan.FromMinutes(1));
        Assert.Empty(tooSoon.Entries);

        await Task.Delay(TimeSpan.FromMilliseconds(150));
        var claimed = await _client.StreamAutoClaimAsync(_stream, "workers", "rescuer", TimeSpan.FromMilliseconds(100), count: 10);

        Assert.Equal(id, Assert.Single(claimed.Entries).Id);
        Assert.Equal("crashy"u8.ToArray(), claimed.Entries[0].Fields["job"]);
        Assert.Equal("0-0", claimed.NextStartId);
        Assert.Empty(claimed.DeletedIds);
        var pending = await _client.StreamPendingSummaryAsync(_stream, "workers");
        Assert.Equal(1, pending.Consumers["rescuer"]);
        Assert.False(pending.Consumers.ContainsKey("crashed-worker") && pending.Consumers["crashed-worker"] > 0);
    }

    [Fact]
    public async Task ABlockingReadDoesNotDelayOtherCommandsAndWakesOnANewEntry()
    {
        await _client.StreamCreateGroupAsync(_stream, "workers");
        await _client.SetAsync(_stream + ":probe", "fine");

        var blockingRead = _client.StreamReadGroupAsync(_stream, "workers", "waiter", count: 1, block: TimeSpan.FromSeconds(10));
        await Task.Delay(100);
        Assert.False(blockingRead.IsCompleted);

        var watch = Stopwatch.StartNew();
        Assert.Equal("fine", await _client.GetStringAsync(_stream + ":probe"));
        watch.Stop();
        // The read blocks for up to 10 s; a GET queued behind it on the same connection would wait that long.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"GET took {watch.Elapsed} while a blocking read was in progress.");
        Assert.False(blockingRead.IsCompleted);

        var id = await _client.StreamAddAsync(_stream, [new("wake", "up")]);
        var delivered = await blockingRead.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(id, Assert.Single(delivered).Id);
    }

    [Fact]
    public async Task ABlockingReadThatTimesOutReturnsNothing()
    {
        await _client.StreamCreateGroupAsync(_stream, "workers");

        var read = await _client.StreamReadGroupAsync(_stream, "workers", "waiter", count: 1, block: TimeSpan.FromMilliseconds(50));

        Assert.Empty(read);
    }

    [Fact]
    public async Task CancellingABlockingReadLeavesTheClientUsable()
    {
        await _client.StreamCreateGroupAsync(_stream, "workers");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            _client.StreamReadGroupAsync(_stream, "workers", "waiter", count: 1, block: TimeSpan.FromSeconds(30), cancellationToken: cancel.Token));

        var id = await _client.StreamAddAsync(_stream, [new("n", 1)]);

        // If the server had not yet noticed the abandoned connection, it handed the entry to it: then it is pending for "waiter".
        var read = await _client.StreamReadGroupAsync(_stream, "workers", "waiter", count: 1, startId: "0");
        if (read.Count == 0)
        {
            read = await _client.StreamReadGroupAsync(_stream, "workers", "waiter", count: 1, block: TimeSpan.FromSeconds(5));
        }

        Assert.Equal(id, Assert.Single(read).Id);
    }
}

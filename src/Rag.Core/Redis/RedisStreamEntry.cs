namespace Rag.Core.Redis;

/// <summary>A stream entry: its id and field values. A pending entry deleted since it was read has no fields.</summary>
public sealed record RedisStreamEntry(string Id, IReadOnlyDictionary<string, byte[]> Fields)
{
    internal static RedisStreamEntry FromReply(RedisResult reply)
    {
        // [id, [field, value, field, value, ...]]
        var parts = reply.AsArray();
        var fields = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var pairs = parts[1].AsArray();
        for (var i = 0; i + 1 < pairs.Count; i += 2)
        {
            fields[pairs[i].AsString()!] = pairs[i + 1].AsBytes() ?? [];
        }

        return new RedisStreamEntry(parts[0].AsString()!, fields);
    }
}

/// <summary>XAUTOCLAIM's answer: where to continue scanning ("0-0" when done), the claimed entries, and ids that no longer exist.</summary>
public sealed record RedisAutoClaimResult(string NextStartId, IReadOnlyList<RedisStreamEntry> Entries, IReadOnlyList<string> DeletedIds);

/// <summary>XPENDING summary: how many entries await acknowledgement, their id range, and the count per consumer.</summary>
public sealed record RedisPendingSummary(long Count, string? SmallestId, string? LargestId, IReadOnlyDictionary<string, long> Consumers);

using System.Collections.Concurrent;

namespace Rag.Core.Caching;

/// <summary>
/// What was read from the database, remembered for a short lifetime so that hot paths do not read it on every request.
/// What is forgotten through <see cref="Forget"/> or <see cref="ForgetAll"/> is read again at once, and a read that was
/// under way meanwhile is not stored: a change made through this process is seen here at once, one made through
/// another process within the lifetime. Thread-safe.
/// </summary>
public sealed class ShortLivedCache<TKey, TValue>(TimeProvider time, TimeSpan lifetime)
    where TKey : notnull
    where TValue : class
{
    // Far more than the keys used within one lifetime; past it, expired entries are swept.
    private const int SweepAbove = 10_000;

    private readonly ConcurrentDictionary<TKey, Entry> _entries = new();

    // Bumped by every Forget: a read that began before it must not store what it read.
    private long _generation;

    /// <summary>The remembered value for <paramref name="key"/>, or the one <paramref name="read"/> finds, remembered unless null.</summary>
    public async Task<TValue?> GetOrReadAsync(TKey key, Func<CancellationToken, Task<TValue?>> read, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(read);
        var now = time.GetTimestamp();
        if (_entries.TryGetValue(key, out var entry) && time.GetElapsedTime(entry.ReadAt, now) < lifetime)
        {
            return entry.Value;
        }

        var generation = Interlocked.Read(ref _generation);
        var value = await read(cancellationToken);
        if (value is not null && lifetime > TimeSpan.Zero)
        {
            if (_entries.Count > SweepAbove)
            {
                Sweep(now);
            }

            _entries[key] = new Entry(value, now);

            // A Forget that ran during the read may have missed the entry just stored: drop it rather than keep stale rights.
            if (Interlocked.Read(ref _generation) != generation)
            {
                _entries.TryRemove(key, out _);
            }
        }

        return value;
    }

    /// <summary>Drops the values <paramref name="matches"/> picks, after a change to what they were read from.</summary>
    public void Forget(Func<TValue, bool> matches)
    {
        ArgumentNullException.ThrowIfNull(matches);
        Interlocked.Increment(ref _generation);
        foreach (var (key, entry) in _entries)
        {
            if (matches(entry.Value))
            {
                _entries.TryRemove(key, out _);
            }
        }
    }

    /// <summary>Drops every value, after a change that may touch any of them.</summary>
    public void ForgetAll()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    private void Sweep(long now)
    {
        foreach (var (key, entry) in _entries)
        {
            if (time.GetElapsedTime(entry.ReadAt, now) >= lifetime)
            {
                _entries.TryRemove(key, out _);
            }
        }
    }

    private sealed record Entry(TValue Value, long ReadAt);
}

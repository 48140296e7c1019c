using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Rag.Core.Identity;

namespace Rag.Api.Auth;

/// <summary>
/// Who a credential stands for, remembered for <see cref="AuthOptions.CallerCacheLifetime"/> (a few seconds): without
/// it every request reads its user or API key from PostgreSQL. Only credentials that authenticated are remembered.
/// A change made through this replica (a user disabled or given another role, a key revoked) is seen at once; other
/// replicas see it when their entry expires, so the staleness across replicas is bounded by the lifetime.
/// </summary>
public sealed class CallerCache(IOptions<AuthOptions> options, TimeProvider time)
{
    // Far more than the users and keys that call within one lifetime; past it, expired entries are swept.
    private const int SweepAbove = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeSpan _lifetime = options.Value.CallerCacheLifetime;

    // Bumped by every Forget: a lookup that began before it must not store what it read.
    private long _generation;

    /// <summary>
    /// The remembered caller for <paramref name="credentialId"/> (a user id for a token, the key's hash for an API key),
    /// or the one <paramref name="lookup"/> finds, remembered if it is not null.
    /// </summary>
    public async Task<Caller?> GetOrLookUpAsync(string credentialId, Func<CancellationToken, Task<Caller?>> lookup, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(credentialId);
        ArgumentNullException.ThrowIfNull(lookup);
        var now = time.GetTimestamp();
        if (_entries.TryGetValue(credentialId, out var entry) && time.GetElapsedTime(entry.StoredAt, now) < _lifetime)
        {
            return entry.Caller;
        }

        var generation = Interlocked.Read(ref _generation);
        var found = await lookup(cancellationToken);
        if (found is not null && _lifetime > TimeSpan.Zero)
        {
            if (_entries.Count > SweepAbove)
            {
                Sweep(now);
            }

            _entries[credentialId] = new Entry(found, now);

            // A Forget that ran during the lookup may have missed the entry just stored: drop it rather than keep stale rights.
            if (Interlocked.Read(ref _generation) != generation)
            {
                _entries.TryRemove(credentialId, out _);
            }
        }

        return found;
    }

    /// <summary>After a user is disabled or changes role: their tokens and keys are looked up again.</summary>
    public void ForgetUser(Guid userId) => Forget(caller => caller.UserId == userId);

    /// <summary>After a key is revoked.</summary>
    public void ForgetApiKey(Guid keyId) => Forget(caller => caller.ApiKeyId == keyId);

    private void Forget(Func<Caller, bool> matches)
    {
        Interlocked.Increment(ref _generation);
        foreach (var (key, entry) in _entries)
        {
            if (matches(entry.Caller))
            {
                _entries.TryRemove(key, out _);
            }
        }
    }

    private void Sweep(long now)
    {
        foreach (var (key, entry) in _entries)
        {
            if (time.GetElapsedTime(entry.StoredAt, now) >= _lifetime)
            {
                _entries.TryRemove(key, out _);
            }
        }
    }

    private sealed record Entry(Caller Caller, long StoredAt);
}

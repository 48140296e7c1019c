using Microsoft.Extensions.Options;
using Rag.Core.Caching;
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
    private readonly ShortLivedCache<string, Caller> _callers = new(time, options.Value.CallerCacheLifetime);

    /// <summary>
    /// The remembered caller for <paramref name="credentialId"/> (a user id for a token, the key's hash for an API key),
    /// or the one <paramref name="lookup"/> finds, remembered if it is not null.
    /// </summary>
    public Task<Caller?> GetOrLookUpAsync(string credentialId, Func<CancellationToken, Task<Caller?>> lookup, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(credentialId);
        return _callers.GetOrReadAsync(credentialId, lookup, cancellationToken);
    }

    /// <summary>After a user is disabled or changes role: their tokens and keys are looked up again.</summary>
    public void ForgetUser(Guid userId) => _callers.Forget(caller => caller.UserId == userId);

    /// <summary>After a key is revoked.</summary>
    public void ForgetApiKey(Guid keyId) => _callers.Forget(caller => caller.ApiKeyId == keyId);
}

using System.Net.Security;

namespace Rag.Core.Redis;

/// <summary>What one connection needs: the target from the connection string and the effective timeouts.</summary>
internal sealed record RedisConnectionSettings(
    RedisConnectionString Target,
    TimeSpan ConnectTimeout,
    TimeSpan CommandTimeout,
    RemoteCertificateValidationCallback? CertificateValidation)
{
    public static RedisConnectionSettings Create(RedisConnectionString target, RedisClientOptions options) => new(
        target,
        target.ConnectTimeout ?? options.ConnectTimeout,
        target.CommandTimeout ?? options.CommandTimeout,
        options.CertificateValidation);

    public string Endpoint => $"{Target.Host}:{Target.Port}";
}

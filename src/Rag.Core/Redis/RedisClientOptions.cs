using System.ComponentModel.DataAnnotations;
using System.Net.Security;

namespace Rag.Core.Redis;

/// <summary>
/// Tuning for the Redis client, bound from the "Redis" section. Timeouts in the connection string
/// (connectTimeout, syncTimeout/asyncTimeout) take precedence, as they come with the deployment.
/// <code>
/// "Redis": {
///   "ConnectTimeout": "00:00:05",
///   "CommandTimeout": "00:00:05",
///   "ReconnectBaseDelay": "00:00:00.100",
///   "ReconnectMaxDelay": "00:00:10",
///   "BlockingConnectionPoolSize": 4,
///   "HealthCheckTimeout": "00:00:02"
/// }
/// </code>
/// </summary>
public sealed class RedisClientOptions
{
    public const string SectionName = "Redis";

    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a command may wait for its reply; a blocking command gets its block time on top.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>First delay between reconnect attempts after a failed one; doubles (with jitter) up to <see cref="ReconnectMaxDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ReconnectBaseDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Idle connections kept for blocking commands (XREADGROUP BLOCK), which each need a connection of their own.</summary>
    [Range(0, 256)]
    public int BlockingConnectionPoolSize { get; set; } = 4;

    /// <summary>How long the "redis" health check waits for PING before reporting Unhealthy.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Decides whether to trust the server's TLS certificate; null uses the system's validation. Set in code, not configuration.</summary>
    public RemoteCertificateValidationCallback? CertificateValidation { get; set; }
}

using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Rag.Core.Redis;

/// <summary>PINGs Redis with a short timeout of its own, so a hung server makes the check Unhealthy instead of hanging it.</summary>
internal sealed class RedisHealthCheck(IRedisClient client, IOptions<RedisClientOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.HealthCheckTimeout);
        try
        {
            await client.PingAsync(timeout.Token).ConfigureAwait(false);
            return HealthCheckResult.Healthy();
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"Redis did not answer PING within {options.Value.HealthCheckTimeout}.");
        }
        catch (RedisException exception)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, exception.Message, exception);
        }
    }
}

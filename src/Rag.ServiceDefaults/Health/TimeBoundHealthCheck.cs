using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Rag.ServiceDefaults.Health;

internal sealed class TimeBoundHealthCheck(IHealthCheck inner, TimeSpan timeout) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);

        try
        {
            return await inner.CheckHealthAsync(context, cancellationToken).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"Did not complete within {timeout}.");
        }
    }
}

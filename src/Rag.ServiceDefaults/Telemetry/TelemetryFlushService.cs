using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Rag.ServiceDefaults.Telemetry;

// Taking the providers as dependencies creates them when the host starts, before the server accepts requests,
// so the first request is traced. On shutdown it flushes what is buffered; the container disposes the providers.
internal sealed class TelemetryFlushService(TracerProvider tracerProvider, MeterProvider meterProvider) : IHostedService
{
    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(5);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        // ForceFlush blocks; run it off the shutdown thread and let the host's own shutdown timeout win.
        return Task.Run(
            () =>
            {
                tracerProvider.ForceFlush((int)FlushTimeout.TotalMilliseconds);
                meterProvider.ForceFlush((int)FlushTimeout.TotalMilliseconds);
            },
            CancellationToken.None).WaitAsync(cancellationToken);
    }
}

using System.ComponentModel.DataAnnotations;

namespace Rag.ServiceDefaults.Resilience;

// Applied to every HttpClient. Defaults follow Microsoft.Extensions.Http.Resilience's standard handler.
// "HttpResilience": {
//   "TotalRequestTimeout": "00:00:30", "AttemptTimeout": "00:00:10",
//   "MaxRetryAttempts": 3, "RetryBaseDelay": "00:00:02",
//   "CircuitBreakerFailureRatio": 0.1, "CircuitBreakerMinimumThroughput": 100,
//   "CircuitBreakerSamplingDuration": "00:00:30", "CircuitBreakerBreakDuration": "00:00:05"
// }
// The ranges are the ones Polly itself accepts, so a bad value fails at start rather than on the first request.
public sealed class HttpResilienceOptions
{
    public const string SectionName = "HttpResilience";

    // Bounds the whole call, retries and their delays included.
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan TotalRequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    // 0 turns retries off.
    [Range(0, 100)]
    public int MaxRetryAttempts { get; set; } = 3;

    // First delay of the exponential backoff (with jitter); a Retry-After header from the server takes precedence.
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    // Share of failed calls within the sampling duration that opens the circuit.
    [Range(0.0, 1.0)]
    public double CircuitBreakerFailureRatio { get; set; } = 0.1;

    // The circuit never opens on fewer calls than this within the sampling duration.
    [Range(2, int.MaxValue)]
    public int CircuitBreakerMinimumThroughput { get; set; } = 100;

    [Range(typeof(TimeSpan), "00:00:00.500", "1.00:00:00")]
    public TimeSpan CircuitBreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    // How long an open circuit fails calls at once before letting one through to probe.
    [Range(typeof(TimeSpan), "00:00:00.500", "1.00:00:00")]
    public TimeSpan CircuitBreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(5);
}

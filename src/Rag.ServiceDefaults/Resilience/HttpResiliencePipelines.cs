using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Rag.ServiceDefaults.Resilience;

// One pipeline per named client, kept for the life of the process: the handlers IHttpClientFactory rotates
// must share it, or every rotation would close an open circuit.
internal sealed partial class HttpResiliencePipelines(IOptions<HttpResilienceOptions> options, TimeProvider timeProvider, ILogger<HttpResiliencePipelines> logger)
{
    public static readonly ResiliencePropertyKey<HttpRequestMessage> RequestKey = new("Rag.HttpResilience.Request");

    private readonly ConcurrentDictionary<string, ResiliencePipeline<HttpResponseMessage>> pipelines = new(StringComparer.Ordinal);

    public ResiliencePipeline<HttpResponseMessage> GetPipeline(string clientName)
    {
        ArgumentNullException.ThrowIfNull(clientName);

        return pipelines.GetOrAdd(clientName, Build);
    }

    private ResiliencePipeline<HttpResponseMessage> Build(string clientName)
    {
        var settings = options.Value;

        // Outermost to innermost: total timeout → retry → circuit breaker → attempt timeout.
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { Name = clientName, TimeProvider = timeProvider }
            .AddTimeout(new TimeoutStrategyOptions { Name = "TotalRequestTimeout", Timeout = settings.TotalRequestTimeout });

        if (settings.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = settings.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = settings.RetryBaseDelay,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, args.Context)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, timeProvider)),
                OnRetry = args =>
                {
                    LogRetrying(logger, clientName, args.AttemptNumber + 1, Describe(args.Outcome), args.RetryDelay);

                    // Nobody else will read the failed attempt's response; release its connection now.
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            });
        }

        return builder
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                FailureRatio = settings.CircuitBreakerFailureRatio,
                MinimumThroughput = settings.CircuitBreakerMinimumThroughput,
                SamplingDuration = settings.CircuitBreakerSamplingDuration,
                BreakDuration = settings.CircuitBreakerBreakDuration,
                ShouldHandle = args => ValueTask.FromResult(IsTransientFailure(args.Outcome)),
                OnOpened = args =>
                {
                    LogCircuitOpened(logger, clientName, Describe(args.Outcome), args.BreakDuration);
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(new TimeoutStrategyOptions { Name = "AttemptTimeout", Timeout = settings.AttemptTimeout })
            .Build();
    }

    private static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, ResilienceContext context) =>
        !context.CancellationToken.IsCancellationRequested
        && IsTransientFailure(outcome)
        && context.Properties.TryGetValue(RequestKey, out var request)
        && IsSafeToRepeat(request);

    private static bool IsTransientFailure(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException or TimeoutRejectedException } => true,
        { Result: { } response } => response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
            || (int)response.StatusCode >= 500,
        _ => false,
    };

    private static bool IsSafeToRepeat(HttpRequestMessage request) =>
        request.Options.TryGetValue(HttpResilience.AllowRetries, out var allowed)
            ? allowed
            : request.Method == HttpMethod.Get
              || request.Method == HttpMethod.Head
              || request.Method == HttpMethod.Options
              || request.Method == HttpMethod.Put
              || request.Method == HttpMethod.Delete
              || request.Method == HttpMethod.Trace;

    // null lets the retry strategy use its own backoff.
    private static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeProvider timeProvider) => response?.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - timeProvider.GetUtcNow() is var untilDate && untilDate > TimeSpan.Zero ? untilDate : TimeSpan.Zero,
        _ => null,
    };

    // Status code or exception type only: request URIs may carry keys in their query string.
    private static string Describe(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception?.GetType().Name ?? $"HTTP {(int)outcome.Result!.StatusCode}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "HTTP client {ClientName}: attempt {AttemptNumber} failed with {Outcome}; retrying in {RetryDelay}")]
    private static partial void LogRetrying(ILogger logger, string clientName, int attemptNumber, string outcome, TimeSpan retryDelay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "HTTP client {ClientName}: circuit opened after {Outcome}; calls fail at once for {BreakDuration}")]
    private static partial void LogCircuitOpened(ILogger logger, string clientName, string outcome, TimeSpan breakDuration);
}

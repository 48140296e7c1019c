using System.ClientModel.Primitives;
using System.Globalization;

namespace Rag.Core.Models;

/// <summary>
/// The OpenAI SDK's retry policy (429, 408, 5xx and network errors, exponential back-off) with the server's own
/// wait taken at its word: a Retry-After (seconds or HTTP date) or retry-after-ms header sets the delay, capped
/// at <c>maxDelay</c> so a throttled endpoint cannot hold a request for minutes.
/// </summary>
internal sealed class RetryAfterPolicy(int maxRetries, TimeSpan maxDelay, TimeProvider timeProvider) : ClientRetryPolicy(maxRetries)
{
    protected override TimeSpan GetNextDelay(PipelineMessage message, int tryCount)
    {
        ArgumentNullException.ThrowIfNull(message);
        var requested = RequestedDelay(message.Response?.Headers, timeProvider.GetUtcNow());
        var delay = requested ?? base.GetNextDelay(message, tryCount);
        return delay > maxDelay ? maxDelay : delay;
    }

    internal static TimeSpan? RequestedDelay(PipelineResponseHeaders? headers, DateTimeOffset now)
    {
        if (headers is null)
        {
            return null;
        }

        if (headers.TryGetValue("retry-after-ms", out var milliseconds)
            && double.TryParse(milliseconds, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms >= 0)
        {
            return TimeSpan.FromMilliseconds(ms);
        }

        if (!headers.TryGetValue("Retry-After", out var retryAfter) || retryAfter is null)
        {
            return null;
        }

        if (double.TryParse(retryAfter, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return DateTimeOffset.TryParseExact(retryAfter, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? (at > now ? at - now : TimeSpan.Zero)
            : null;
    }
}

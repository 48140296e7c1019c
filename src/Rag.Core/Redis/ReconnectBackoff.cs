namespace Rag.Core.Redis;

/// <summary>Exponential backoff with jitter between failed connection attempts, so many clients do not reconnect in lockstep.</summary>
internal sealed class ReconnectBackoff(TimeSpan baseDelay, TimeSpan maxDelay)
{
    private int _failures;

    public int Failures => _failures;

    /// <summary>Records a failed attempt and returns how long to wait before the next one.</summary>
    public TimeSpan NextDelay()
    {
        var failures = Interlocked.Increment(ref _failures);
        var exponential = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 30));
        var capped = Math.Min(exponential, maxDelay.TotalMilliseconds);
        // ±20 % jitter.
        return TimeSpan.FromMilliseconds(capped * (0.8 + (Random.Shared.NextDouble() * 0.4)));
    }

    public void Reset() => Interlocked.Exchange(ref _failures, 0);
}

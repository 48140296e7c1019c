namespace Rag.Tests.Infrastructure;

/// <summary>A clock that moves only when a test advances it, so that nothing expires by accident on a slow machine.</summary>
internal sealed class ManualTime : TimeProvider
{
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _ticks;

    public void Advance(TimeSpan by) => _ticks += by.Ticks;
}

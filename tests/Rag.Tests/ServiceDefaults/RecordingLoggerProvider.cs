using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Rag.Tests.ServiceDefaults;

internal sealed record LoggedEntry(string Category, LogLevel Level, string Message, IReadOnlyDictionary<string, object?> State);

internal sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LoggedEntry> entries = new();

    public IReadOnlyList<LoggedEntry> Entries => [.. entries];

    public ILogger CreateLogger(string categoryName) => new RecordingLogger(categoryName, entries);

    public void Dispose()
    {
    }

    private sealed class RecordingLogger(string category, ConcurrentQueue<LoggedEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state as IEnumerable<KeyValuePair<string, object?>> ?? [];
            entries.Enqueue(new LoggedEntry(category, logLevel, formatter(state, exception), values.ToDictionary(pair => pair.Key, pair => pair.Value)));
        }
    }
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ClusterPortal.Tests.Support;

/// <summary>
/// Keeps every log entry at <see cref="LogLevel.Information"/> or above, for assertions on what a host logged; with a
/// capacity, only the last that many (a host's recent history for a failure message).
/// </summary>
public sealed class CapturingLoggerProvider(int capacity = int.MaxValue) : ILoggerProvider
{
    public ConcurrentQueue<(string Category, LogLevel Level, string Message)> Entries { get; } = new();

    /// <summary>The entries kept, one line each, oldest first.</summary>
    public string Lines() => string.Join("\n", Entries.Select(e => $"{e.Level} {e.Category}: {e.Message.TrimEnd()}"));

    private readonly int _capacity = capacity;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner.Entries.Enqueue((category, logLevel, formatter(state, exception) + " " + exception));
                while (owner.Entries.Count > owner._capacity && owner.Entries.TryDequeue(out _))
                {
                }
            }
        }
    }
}

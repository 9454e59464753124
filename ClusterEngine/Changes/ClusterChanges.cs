using Microsoft.Extensions.Logging;

namespace ClusterEngine.Changes;

/// <summary>
/// The one stream of changes from the decision core to its consumers. Consumers that live as long as the node are
/// <see cref="IClusterChangeObserver"/>s given to the constructor; short-lived ones (a dashboard page) use
/// <see cref="Subscribe"/>. <see cref="Publish"/> calls every observer, then every subscriber, synchronously and in
/// order; a subscriber that throws is logged and skipped (it never fails the change). Thread-safe.
/// </summary>
public sealed partial class ClusterChanges
{
    private readonly IClusterChangeObserver[] _observers;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private Action<ClusterChange>[] _subscribers = [];

    /// <summary>Creates the stream over the registered observers.</summary>
    /// <param name="observers">Every registered observer, called in registration order.</param>
    /// <param name="logger">Logs subscribers that throw; none when null.</param>
    public ClusterChanges(IEnumerable<IClusterChangeObserver> observers, ILogger<ClusterChanges>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(observers);
        _observers = [.. observers];
        _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <summary>A stream without observers (tests, tools).</summary>
    public ClusterChanges()
        : this([])
    {
    }

    /// <summary>Hands <paramref name="change"/> to every observer and subscriber.</summary>
    /// <param name="change">An applied change.</param>
    public void Publish(ClusterChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        foreach (var observer in _observers)
        {
            observer.OnChange(change);
        }

        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            try
            {
                subscriber(change);
            }
            catch (Exception ex)
            {
                LogSubscriberFailed(change.GetType().Name, ex);
            }
        }
    }

    /// <summary>Calls <paramref name="handler"/> with every change published until the returned handle is disposed.</summary>
    /// <param name="handler">Called synchronously on the publishing thread; must not block.</param>
    /// <returns>Disposing it ends the subscription.</returns>
    public IDisposable Subscribe(Action<ClusterChange> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            _subscribers = [.. _subscribers, handler];
        }

        return new Subscription(this, handler);
    }

    private void Unsubscribe(Action<ClusterChange> handler)
    {
        lock (_gate)
        {
            var index = Array.IndexOf(_subscribers, handler);
            if (index >= 0)
            {
                _subscribers = [.. _subscribers[..index], .. _subscribers[(index + 1)..]];
            }
        }
    }

    private sealed class Subscription(ClusterChanges stream, Action<ClusterChange> handler) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                stream.Unsubscribe(handler);
            }
        }
    }

    [LoggerMessage(EventId = LogEvents.SubscriberFailed, Level = LogLevel.Warning, Message = "A subscriber of the change stream failed on {Change}")]
    private partial void LogSubscriberFailed(string change, Exception exception);
}

using Hangfire.AspNetCore;
using Hangfire.Logging;

namespace ClusterPortal.Jobs;

/// <summary>
/// Hangfire's log provider is process-wide (a static) and Hangfire keeps loggers in static fields: with several
/// in-process hosts (tests), a logger made from one host's <see cref="ILoggerFactory"/> outlives that host. This
/// provider forwards to the host's factory and drops a message once that factory is disposed, instead of failing the
/// job or the storage call that wanted to log. One node per process (production) logs normally.
/// </summary>
internal sealed class DisposalSafeLogProvider(ILoggerFactory factory) : ILogProvider
{
    private readonly AspNetCoreLogProvider _inner = new(factory);

    public ILog GetLogger(string name) => new SafeLog(_inner, name);

    private sealed class SafeLog(AspNetCoreLogProvider provider, string name) : ILog
    {
        private ILog? _inner;

        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            try
            {
                _inner ??= provider.GetLogger(name);
                return _inner.Log(logLevel, messageFunc, exception);
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }
}

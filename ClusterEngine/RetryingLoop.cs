using ClusterEngine.Backplane;
using Microsoft.Extensions.Logging;

namespace ClusterEngine;

/// <summary>
/// Runs one of the node's long-lived background parts (the join, the backplane outbox, the health monitor) so that an
/// error in it can never stop the host (docs/identity.md, "Operator input"): the error is logged and the part runs again after a jittered
/// backoff (the peer retry policy's, <c>Cluster:PeerRetryBaseDelay</c> doubling up to <c>Cluster:PeerRetryMaxDelay</c>).
/// It ends when the part ends by itself or the token is cancelled.
/// </summary>
internal static partial class RetryingLoop
{
    /// <summary>Runs <paramref name="part"/> until it completes, retrying after every error, or until <paramref name="stoppingToken"/> is cancelled.</summary>
    /// <param name="name">The part's name, for the log.</param>
    /// <param name="part">The part; given <paramref name="stoppingToken"/>.</param>
    /// <param name="options">The backoff (<see cref="ClusterOptions.PeerRetryBaseDelay"/>, <see cref="ClusterOptions.PeerRetryMaxDelay"/>).</param>
    /// <param name="logger">Logs each error.</param>
    /// <param name="stoppingToken">Stops the part and the retries.</param>
    public static async Task RunAsync(string name, Func<CancellationToken, Task> part, ClusterOptions options, ILogger logger, CancellationToken stoppingToken)
    {
        for (var failures = 1L; !stoppingToken.IsCancellationRequested; failures++)
        {
            try
            {
                await part(stoppingToken);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                var delay = PeerRetryPolicy.Delay(failures, options.PeerRetryBaseDelay, options.PeerRetryMaxDelay);
                LogPartFailed(logger, name, delay.TotalMilliseconds, ex);
                try
                {
                    await Task.Delay(delay, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(EventId = LogEvents.PartFailed, Level = LogLevel.Error, Message = "The {Part} failed; it runs again in {DelayMs:0} ms")]
    private static partial void LogPartFailed(ILogger logger, string part, double delayMs, Exception exception);
}

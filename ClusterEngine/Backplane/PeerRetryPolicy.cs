using System.Net.Sockets;
using Microsoft.AspNetCore.SignalR.Client;

namespace ClusterEngine.Backplane;

/// <summary>
/// Reconnect policy of a peer connection: first retry at once, then jittered exponential backoff up to
/// 2 s, never giving up (DESIGN.md §7). Reports a refused connection as evidence the peer is gone.
/// </summary>
internal sealed class PeerRetryPolicy(Action onRefused) : IRetryPolicy
{
    public TimeSpan? NextRetryDelay(RetryContext retryContext)
    {
        if (IsRefused(retryContext.RetryReason))
        {
            onRefused();
        }

        return Delay(retryContext.PreviousRetryCount);
    }

    /// <summary>0 for the first retry, then 50 ms × 2^n capped at 2 s, with ±25 % jitter.</summary>
    internal static TimeSpan Delay(long previousRetries)
    {
        if (previousRetries == 0)
        {
            return TimeSpan.Zero;
        }

        var baseMs = Math.Min(2000, 50 * Math.Pow(2, Math.Min(previousRetries - 1, 10)));
        return TimeSpan.FromMilliseconds(baseMs * (0.75 + (Random.Shared.NextDouble() * 0.5)));
    }

    /// <summary>True when <paramref name="error"/> (or an inner exception) is a refused TCP connection.</summary>
    internal static bool IsRefused(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
            {
                return true;
            }
        }

        return false;
    }
}

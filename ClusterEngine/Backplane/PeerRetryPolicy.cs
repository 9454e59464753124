using System.Net.Sockets;
using Microsoft.AspNetCore.SignalR.Client;

namespace ClusterEngine.Backplane;

/// <summary>
/// Reconnect policy of a peer connection: first retry at once, then jittered exponential backoff from
/// <c>Cluster:PeerRetryBaseDelay</c> up to <c>Cluster:PeerRetryMaxDelay</c>, never giving up. Reports a refused
/// connection as evidence the peer is gone.
/// </summary>
internal sealed class PeerRetryPolicy(Action onRefused, TimeSpan baseDelay, TimeSpan maxDelay) : IRetryPolicy
{
    public TimeSpan? NextRetryDelay(RetryContext retryContext)
    {
        if (IsRefused(retryContext.RetryReason))
        {
            onRefused();
        }

        return Delay(retryContext.PreviousRetryCount, baseDelay, maxDelay);
    }

    /// <summary>0 for the first retry, then <paramref name="baseDelay"/> × 2^n capped at <paramref name="maxDelay"/>, with ±25 % jitter.</summary>
    internal static TimeSpan Delay(long previousRetries, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        if (previousRetries == 0)
        {
            return TimeSpan.Zero;
        }

        var baseMs = Math.Min(maxDelay.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(previousRetries - 1, 30)));
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

using ClusterEngine.Backplane;
using ClusterEngine.Membership;
using ClusterEngine.Persistence;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClusterEngine;

/// <summary>
/// The one place that orders a node's life: <b>restore</b> (stored members, assignments and mirrors), <b>join</b> (the
/// persistence writer runs; once the advertised address is known, seeds, member list, catch-up with every peer, patent
/// Fig. 7; the outbox and the health monitor run), <b>serve</b> (idle expiry runs; the node turns Up when caught up),
/// <b>leave</b> (on SIGTERM, before any hosted service stops: hand-over to the alternates), then <b>stop</b> (close the
/// mesh, drain the writer to disk). Parts the host did not register (no persistence, no backplane) are skipped. A process
/// whose node id belongs to a live member at another URL is refused by the cluster and stops with exit code 2.
/// </summary>
/// <remarks>
/// The leave runs in <see cref="StoppingAsync"/>, before the web server stops: run from <see cref="StopAsync"/> it came
/// after the server had waited up to the host's ShutdownTimeout for the peers' long-lived backplane WebSockets, and by
/// then the peers had declared this node Down and failed its clients over themselves (found by the process failure tests).
/// </remarks>
internal sealed class NodeLifecycle(
    IdleClientExpiry expiry,
    LocalNodeAddress address,
    IOptions<ClusterOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<NodeLifecycle> logger,
    PersistenceRestorer? restorer = null,
    PersistenceWriter? writer = null,
    MembershipAgent? membership = null,
    ClusterHealthMonitor? health = null,
    BackplaneOutbox? outbox = null,
    GracefulLeave? leave = null,
    PeerMesh? mesh = null,
    ClientSeenRelay? seen = null,
    ClientSeenStore? seenStore = null) : IHostedLifecycleService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _backplane = Task.CompletedTask;
    private int _stopped;

    /// <inheritdoc />
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Restore, then join (in the background: the address is known once the server listens), then serve.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (restorer is not null)
        {
            await restorer.RestoreAsync(cancellationToken);
        }

        if (writer is not null)
        {
            await writer.StartAsync(cancellationToken);
        }

        if (seenStore is not null)
        {
            await seenStore.StartAsync(cancellationToken);
        }

        if (membership is not null && health is not null && outbox is not null)
        {
            _backplane = Task.Run(() => JoinAndWatchAsync(membership, health, outbox, _stopping.Token), CancellationToken.None);
        }

        await expiry.StartAsync(cancellationToken);
        if (seen is not null)
        {
            await seen.StartAsync(cancellationToken);
        }

        if (leave is not null)
        {
            _stoppingRegistration = lifetime.ApplicationStopping.Register(leave.Begin); // before StoppingAsync: see GracefulLeave.Begin
        }
    }

    private CancellationTokenRegistration _stoppingRegistration;

    /// <summary>
    /// The graceful leave, between stopping the last-seen relay and sending what it still holds: after the hand-over, so
    /// that the nodes the hand-over made primaries and alternates hear the times too (a failure to send: they count from
    /// older times, as after a crash).
    /// </summary>
    private async Task LeaveAsync(CancellationToken cancellationToken)
    {
        if (seen is not null)
        {
            await seen.StopAsync(cancellationToken);
        }

        if (leave is not null)
        {
            await leave.LeaveAsync();
        }

        if (seen is not null)
        {
            await seen.FlushAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// SIGTERM: idle expiry stops, the graceful leave runs, and the last-seen times not yet sent go to the clients' role
    /// holders (the ones the hand-over chose included), before any hosted service stops.
    /// </summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        await expiry.StopAsync(cancellationToken);
        await LeaveAsync(cancellationToken);
    }

    /// <summary>Leaves (when <see cref="StoppingAsync"/> did not run), stops the backplane, closes the mesh, drains the writer.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await expiry.StopAsync(cancellationToken);
        await LeaveAsync(cancellationToken);

        try
        {
            await _stopping.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            // The host gave up waiting for the leave and disposed this node: the loops were stopped by Dispose.
        }

        outbox?.Complete();
        await _backplane;
        if (mesh is not null)
        {
            await mesh.DisposeAsync();
        }

        if (seenStore is not null)
        {
            await seenStore.StopAsync(cancellationToken);
            seenStore.Flush(); // before the writer's last batch
        }

        if (writer is not null)
        {
            await writer.StopAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Stops the backplane loops if the host gave up waiting for <see cref="StopAsync"/> (its ShutdownTimeout).</summary>
    public void Dispose()
    {
        _stoppingRegistration.Dispose();
        _stopping.Cancel();
        outbox?.Complete();
        _stopping.Dispose();
    }

    /// <summary>
    /// Joins, then runs the outbox and the health monitor. An error in any of them is logged and that part runs again
    /// (<see cref="RetryingLoop"/>): no input can stop the node this way (docs/identity.md, "Operator input"). A node whose monitor keeps
    /// failing turns no peer Up and sends no heartbeat, so its peers declare it Down and serve its clients meanwhile.
    /// </summary>
    private async Task JoinAndWatchAsync(MembershipAgent agent, ClusterHealthMonitor monitor, BackplaneOutbox queue, CancellationToken stoppingToken)
    {
        string url;
        try
        {
            url = await address.Resolved.WaitAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return; // stopping before the server listened
        }

        var o = options.Value;
        await RetryingLoop.RunAsync("join", ct => agent.JoinAsync(url, ct), o, logger, stoppingToken);
        if (stoppingToken.IsCancellationRequested)
        {
            return;
        }

        if (!agent.Refusal.IsCompleted)
        {
            var loops = Task.WhenAll(
                RetryingLoop.RunAsync("backplane outbox", queue.RunAsync, o, logger, stoppingToken),
                RetryingLoop.RunAsync("health monitor", monitor.RunAsync, o, logger, stoppingToken));
            await Task.WhenAny(loops, agent.Refusal);
            if (!agent.Refusal.IsCompleted)
            {
                await loops;
                return;
            }
        }

        // A live member owns this node id at another URL: this process is not that member (logged by the agent).
        Environment.ExitCode = 2;
        lifetime.StopApplication();
    }
}

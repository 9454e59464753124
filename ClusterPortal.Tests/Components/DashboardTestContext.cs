using Bunit;
using ClusterEngine;
using ClusterEngine.Events;
using ClusterEngine.Membership;
using ClusterEngine.Mirroring;
using ClusterPortal.Dashboard;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor.Services;

namespace ClusterPortal.Tests.Components;

/// <summary>bUnit context with MudBlazor, a three-node cluster view, the event feed, the sampler and a recording node admin.</summary>
public sealed class DashboardTestContext : BunitContext
{
    public DashboardTestContext(bool admin = false, Action<IServiceCollection>? services = null)
    {
        // bUnit waits 1 s by default; the first component test of a run on the busy 2-core CI machine (JIT, MudBlazor's
        // first render) once needed longer for a live page's background feed to re-render. A wait still fails loudly.
        DefaultWaitTimeout = TimeSpan.FromSeconds(10);
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        var options = new ClusterOptions();
        State = new ClusterState("node-1", options);
        for (var i = 1; i <= 3; i++)
        {
            State.AddOrUpdateNode(new NodeInfo($"node-{i}", $"http://127.0.0.1:{5100 + i}", 100, $"Node {i}", Order: i, State: NodeState.Up));
        }

        Feed = new ClusterEventFeed(TimeProvider.System);
        Changes = new ClusterEngine.Changes.ClusterChanges();
        Sampler = new DashboardSampler(State, id => Traffic.GetValueOrDefault(id), TimeProvider.System, Changes);
        Mirror = new CacheMirror(Options.Create(new MirrorOptions()));
        Services.AddSingleton(State);
        Services.AddSingleton(Feed);
        Services.AddSingleton(Sampler);
        Services.AddSingleton(Changes);
        Services.AddSingleton(Mirror);
        Services.AddSingleton<INodeAdmin>(Admin);
        Services.AddSingleton(Options.Create(options));
        services?.Invoke(Services); // before AddAuthorization, which retrieves services
        var auth = AddAuthorization();
        if (admin)
        {
            auth.SetAuthorized("admin");
            auth.SetRoles("admin");
        }

        SetRendererInfo(new RendererInfo("Server", true));
    }

    public ClusterState State { get; }

    public ClusterEventFeed Feed { get; }

    public DashboardSampler Sampler { get; }

    public ClusterEngine.Changes.ClusterChanges Changes { get; }

    public CacheMirror Mirror { get; }

    public Dictionary<string, NodeTraffic> Traffic { get; } = [];

    public FakeNodeAdmin Admin { get; } = new();

    /// <summary>Announces <paramref name="count"/> clients on the view.</summary>
    public void Announce(int count, string prefix = "dev-")
    {
        for (var i = 0; i < count; i++)
        {
            State.Announce($"{prefix}{i:D5}");
        }
    }
}

/// <summary>Records admin calls; answers with <see cref="Next"/> (success by default).</summary>
public sealed class FakeNodeAdmin : INodeAdmin
{
    public List<string> Calls { get; } = [];

    public AdminOutcome Next { get; set; } = new(true, null, new Dictionary<string, string[]>(), 200);

    public Task<AdminOutcome> AddAsync(string? url, int? capacity, string? name, CancellationToken cancellationToken)
    {
        Calls.Add($"add {url} {capacity} {name}");
        return Task.FromResult(Next);
    }

    public Task<AdminOutcome> UpdateAsync(string nodeId, int? capacity, NodeMode? mode, CancellationToken cancellationToken)
    {
        Calls.Add($"update {nodeId} {capacity} {mode}");
        return Task.FromResult(Next);
    }

    public Task<AdminOutcome> RemoveAsync(string nodeId, CancellationToken cancellationToken)
    {
        Calls.Add($"remove {nodeId}");
        return Task.FromResult(Next);
    }
}

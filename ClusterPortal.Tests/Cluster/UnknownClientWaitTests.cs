using System.Net;
using System.Net.Http.Headers;
using ClusterEngine.Backplane;
using ClusterEngine.Placement;
using ClusterPortal.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;

namespace ClusterPortal.Tests.Cluster;

/// <summary>
/// A device announced at one node may ask another node before the new assignment's broadcast reached it (<c>Cluster:UnknownClientWait</c>,
/// docs/recovery.md): that node waits for the assignment — woken by its change stream (<see cref="AssignmentChangeSignal"/>) — and
/// serves the request when it arrives instead of answering 404. Here node-3's hub holds the broadcast of one client's
/// assignment until the device's request at node-3 waits for it.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class UnknownClientWaitTests
{
    [Fact]
    public async Task A_request_at_a_node_the_new_assignment_has_not_reached_waits_for_it_and_is_served_not_404()
    {
        await using var cluster = new InProcessCluster();
        var gate = new BroadcastGate("late-");
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.Add(100);
        cluster.Add(100);
        cluster.Add(100, configure: web =>
        {
            InProcessCluster.WithHubFilter(gate)(web);
            web.ConfigureServices(s => s.AddSingleton<IStartupFilter>(new SignalWhenAsked("/items/hello.txt", arrived)));
        });
        await cluster.WaitAllUpAsync();

        // A client with no role on node-3: node-3 learns of it only from the broadcast the gate holds. One whose primary or
        // alternate is node-3 reaches it otherwise (the offer, or a broadcast the gate lets through once released).
        SessionBody? late = null;
        for (var i = 0; late is null && i < 30; i++)
        {
            gate.Arm();
            var (_, session) = await cluster.Announce(0, $"late-{i}");
            if (session.Primary.NodeId != "node-3" && session.Alternate?.NodeId != "node-3")
            {
                late = session;
            }
            else
            {
                gate.Release();
            }
        }

        Assert.NotNull(late);
        await gate.Holding.WaitAsync(TimeSpan.FromSeconds(10));

        var http = cluster[2].Client();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", late.Token);
        var request = http.GetAsync($"/api/clients/{late.ClientId}/items/hello.txt");
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var signal = cluster[2].Services.GetRequiredService<AssignmentChangeSignal>();
        await Eventually.True(() => signal.Awaited, "node-3's request waiting for the client's assignment");
        gate.Release();
        using var answer = await request;

        Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{(int)answer.StatusCode} at node-3: {await answer.Content.ReadAsStringAsync()}");
        Assert.Equal("hello", await answer.Content.ReadAsStringAsync());
        Assert.NotNull(cluster.StateOf(2).GetAssignment(late.ClientId));
    }

    /// <summary>Holds the <c>AssignmentChanged</c> broadcasts naming a client whose id starts with a prefix, while armed, until released.</summary>
    private sealed class BroadcastGate(string prefix) : IHubFilter
    {
        private TaskCompletionSource _open = Opened();
        private readonly TaskCompletionSource _holding = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes when a broadcast is held.</summary>
        public Task Holding => _holding.Task;

        public void Arm() => Volatile.Write(ref _open, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

        public void Release() => Volatile.Read(ref _open).TrySetResult();

        public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
        {
            if (invocationContext.HubMethodName == BackplaneMethods.AssignmentChanged
                && invocationContext.HubMethodArguments is [AssignmentDelta[] deltas]
                && deltas.Any(d => d.ClientId.StartsWith(prefix, StringComparison.Ordinal)))
            {
                var open = Volatile.Read(ref _open);
                if (!open.Task.IsCompleted)
                {
                    _holding.TrySetResult();
                }

                await open.Task;
            }

            return await next(invocationContext);
        }

        private static TaskCompletionSource Opened()
        {
            var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            open.SetResult();
            return open;
        }
    }

    /// <summary>Completes a task when a request whose path ends with a suffix enters the node's pipeline.</summary>
    private sealed class SignalWhenAsked(string suffix, TaskCompletionSource arrived) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (HttpContext context, RequestDelegate following) =>
            {
                if (context.Request.Path.Value?.EndsWith(suffix, StringComparison.Ordinal) == true)
                {
                    arrived.TrySetResult();
                }

                await following(context);
            });
            next(app);
        };
    }
}

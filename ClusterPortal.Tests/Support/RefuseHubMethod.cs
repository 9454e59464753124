using Microsoft.AspNetCore.SignalR;

namespace ClusterPortal.Tests.Support;

/// <summary>
/// A backplane hub filter for in-process nodes (<see cref="InProcessCluster.WithHubFilter"/>): once <see cref="Armed"/>,
/// refuses every call of one hub method made to this node, as a hub refuses a call it will not take; every other call
/// (status, heartbeats) is answered.
/// </summary>
/// <param name="method">The hub method refused (a <c>BackplaneMethods</c> name).</param>
internal sealed class RefuseHubMethod(string method) : IHubFilter
{
    /// <summary>While true, calls of the method are refused.</summary>
    public volatile bool Armed;

    public ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next) =>
        Armed && invocationContext.HubMethodName == method
            ? throw new HubException($"{method} refused by the test.")
            : next(invocationContext);
}

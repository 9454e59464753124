using System.Net;
using ClusterPortal.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ClusterPortal.Tests.Cluster;

/// <summary>
/// Hosts whose clocks are further apart than <c>Cluster:PeerClockSkew</c> (docs/identity.md): the joining node is refused
/// (its credentials' time stamps are out of the window), stays out and does not serve — and now says why in its own log.
/// Before, it logged the seed as "unreachable: The server returned status code '401'", and only the seed's log named the
/// clocks.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class ClockSkewJoinTests
{
    [Fact]
    public async Task A_node_whose_clock_is_two_minutes_ahead_is_refused_stays_out_and_logs_the_clocks_as_the_cause()
    {
        await using var cluster = new InProcessCluster();
        var seed = cluster.Add(100);
        var logs = new CapturingLoggerProvider();
        var ahead = new ShiftedClock();
        ahead.Advance(TimeSpan.FromMinutes(2));
        using var skewed = new PortalFactory(new()
        {
            ["Cluster:NodeId"] = "node-2",
            ["Cluster:Seeds:0"] = seed.BaseUrl,
            ["Logging:LogLevel:Default"] = "Warning",
        })
        {
            Configure = web => web.ConfigureServices(services => services.AddSingleton<TimeProvider>(ahead))
                .ConfigureLogging(logging => logging.AddProvider(logs)),
        };
        using var http = skewed.StartedClient();

        static bool IsRefusal((string Category, LogLevel Level, string Message) e) => e.Message.Contains("does not let this node join", StringComparison.Ordinal);
        await Eventually.True(() => logs.Entries.Any(IsRefusal), "node-2 logging that its seed refused it", 60_000,
            () => string.Join(Environment.NewLine, logs.Entries.Select(e => e.Message)));
        var refusal = logs.Entries.First(IsRefusal);

        Assert.Equal(LogLevel.Error, refusal.Level);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(refusal.Message, "its clock is 1[12][0-9] s behind this node.s"), refusal.Message); // a Date has whole seconds, and a loaded host answers late
        Assert.Contains("Cluster:PeerClockSkew", refusal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("unreachable", StringComparison.Ordinal) && e.Message.Contains("401", StringComparison.Ordinal));
        using var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode); // never a cluster of its own
        Assert.Null(cluster.StateOf(0).Members.StateOf("node-2")); // the seed did not add it
    }
}

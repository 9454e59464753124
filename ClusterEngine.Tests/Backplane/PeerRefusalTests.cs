using System.Net;
using ClusterEngine.Backplane;

namespace ClusterEngine.Tests.Backplane;

/// <summary>A peer's 401 to this node's credential is explained by the clocks or by the key (docs/identity.md).</summary>
public sealed class PeerRefusalTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 16, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Skew = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(120, "its clock is 120 s ahead of this node's")]
    [InlineData(-90, "its clock is 90 s behind this node's")]
    [InlineData(30, "its clock is 30 s ahead of this node's")] // a Date has whole seconds: at the limit, the clocks are the likely cause
    public void A_peer_date_outside_the_window_names_the_clocks(int peerAheadSeconds, string says)
    {
        var text = PeerRefusal.Explain(HttpStatusCode.Unauthorized, Now.AddSeconds(peerAheadSeconds), Now, Skew);

        Assert.Contains(says, text, StringComparison.Ordinal);
        Assert.Contains("Cluster:PeerClockSkew (30 s)", text, StringComparison.Ordinal);
        Assert.Contains("(401)", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-28)]
    [InlineData(null)]
    public void Clocks_that_agree_or_no_date_point_at_the_cluster_key(int? peerAheadSeconds)
    {
        var text = PeerRefusal.Explain(HttpStatusCode.Unauthorized, peerAheadSeconds is { } s ? Now.AddSeconds(s) : null, Now, Skew);

        Assert.Contains("Cluster:Key", text, StringComparison.Ordinal);
        Assert.DoesNotContain("clock is", text, StringComparison.Ordinal);
    }
}

using ClusterEngine.Backplane;
using Microsoft.Extensions.Time.Testing;

namespace ClusterEngine.Tests.Backplane;

/// <summary>The forwarded marker (issue 11, case 5): only a key holder's marker for exactly this request and target verifies.</summary>
public sealed class ForwardMarkerTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddYears(56));

    private ForwardMarker Marker(string key = "test-cluster-key-0123456789") => new(key, _time, TimeSpan.FromSeconds(30));

    [Fact]
    public void A_marker_verifies_for_its_request_at_its_target_and_names_the_forwarding_node()
    {
        var marker = Marker().Create("node-1.eu", "node-2", "GET", "/api/clients/c/items/a%20b.txt?x=1", "c");

        Assert.True(Marker().Verify(marker, "node-2", "GET", "/api/clients/c/items/a%20b.txt?x=1", "c", out var from));
        Assert.Equal("node-1.eu", from);
    }

    [Theory]
    [InlineData("node-3", "GET", "/api/clients/c/items/a", "c")]
    [InlineData("node-2", "HEAD", "/api/clients/c/items/a", "c")]
    [InlineData("node-2", "GET", "/api/clients/c/items/b", "c")]
    [InlineData("node-2", "GET", "/api/clients/c/items/a", "d")]
    public void A_marker_does_not_verify_for_another_target_method_path_or_client(string self, string method, string target, string clientId)
    {
        var marker = Marker().Create("node-1", "node-2", "GET", "/api/clients/c/items/a", "c");

        Assert.False(Marker().Verify(marker, self, method, target, clientId, out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("node-1")]
    [InlineData("node-1.123.short")]
    [InlineData("node-1.notanumber.AAAAAAAAAAAAAAAAAAAAAA")]
    public void A_client_set_marker_does_not_verify(string? marker) =>
        Assert.False(Marker().Verify(marker, "node-2", "GET", "/api/clients/c/items/a", "c", out _));

    [Fact]
    public void A_stale_marker_or_one_of_another_key_does_not_verify()
    {
        var marker = Marker().Create("node-1", "node-2", "GET", "/t", "c");
        var foreign = Marker("another-cluster-key-0123456789").Create("node-1", "node-2", "GET", "/t", "c");

        Assert.False(Marker().Verify(foreign, "node-2", "GET", "/t", "c", out _));
        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.False(Marker().Verify(marker, "node-2", "GET", "/t", "c", out _));
    }

    [Fact]
    public void A_long_target_is_marked_too()
    {
        var target = "/api/clients/c/items/" + new string('x', 5000);

        Assert.True(Marker().Verify(Marker().Create("n1", "n2", "GET", target, "c"), "n2", "GET", target, "c", out _));
    }

    [Fact]
    public void While_the_cluster_key_changes_a_marker_of_either_key_verifies_and_each_node_makes_its_own()
    {
        const string Old = "test-cluster-key-0123456789", Next = "the-next-cluster-key-0123456789";
        var step1 = new ForwardMarker([Old, Next], _time, TimeSpan.FromSeconds(30));
        var step2 = new ForwardMarker([Next, Old], _time, TimeSpan.FromSeconds(30));
        string MarkerOf(ForwardMarker m) => m.Create("node-1", "node-2", "GET", "/api/clients/c/items/a", "c");
        bool Verifies(ForwardMarker m, string marker) => m.Verify(marker, "node-2", "GET", "/api/clients/c/items/a", "c", out _);

        Assert.True(Verifies(step2, MarkerOf(step1)));
        Assert.True(Verifies(step1, MarkerOf(step2)));
        Assert.True(Verifies(Marker(Old), MarkerOf(step1)));
        Assert.True(Verifies(Marker(Next), MarkerOf(step2)));
        Assert.False(Verifies(Marker(Old), MarkerOf(step2)));
        Assert.False(Verifies(Marker(Next), MarkerOf(step1)));
    }
}

using ClusterPortal.Client.Contract;

namespace ClusterPortal.Client.Tests.Contract;

/// <summary>Paths of the client API with ids and keys escaped as the node expects (README "Item keys in the URL").</summary>
public sealed class ClusterPathsTests
{
    [Theory]
    [InlineData("hello.txt", "hello.txt")]
    [InlineData("news/a b+c.txt", "news/a%20b%2Bc.txt")]
    [InlineData("routes/line 7/ü.json", "routes/line%207/%C3%BC.json")]
    [InlineData("a/~x_y-z", "a/~x_y-z")]
    public void Each_key_segment_is_escaped_on_its_own_and_slashes_stay(string key, string path) =>
        Assert.Equal(path, ItemKey.Parse(key).ToUrlPath());

    [Fact]
    public void Client_api_paths()
    {
        Assert.Equal("api/sessions", ClusterPaths.Sessions);
        Assert.Equal("api/sessions/device-0001", ClusterPaths.Session("device-0001"));
        Assert.Equal("api/clients/dev%3A1", ClusterPaths.Client("dev:1"));
        Assert.Equal("api/clients/device-0001/items/news/a%20b%2Bc.txt", ClusterPaths.Item("device-0001", ItemKey.Parse("news/a b+c.txt")));
        Assert.Equal("api/clients/device-0001/mirror", ClusterPaths.Mirror("device-0001"));
    }
}

using System.Net;
using Microsoft.Extensions.Time.Testing;

namespace ClusterPortal.Client.Tests;

/// <summary>The shared address as a DNS name (patent Fig. 8): every address, a sensible order, re-resolution, no dead address pinned.</summary>
public sealed class SharedAddressResolverTests
{
    private static readonly Uri Name = new("http://cluster.test:8080");

    [Fact]
    public async Task A_name_becomes_one_url_per_address_record_with_scheme_port_and_path_kept()
    {
        var resolver = new SharedAddressResolver(Lookup("10.1.0.11", "10.1.0.12", "fd00::3"));

        var urls = await resolver.ResolveAsync([new Uri("http://cluster.test:8080/base/")], null, default);

        Assert.Equal(["http://10.1.0.11:8080/base/", "http://10.1.0.12:8080/base/", "http://[fd00::3]:8080/base/"], urls.Select(u => u.AbsoluteUri));
    }

    [Fact]
    public async Task Ip_literals_https_names_and_unresolvable_names_stay_as_given()
    {
        var resolver = new SharedAddressResolver((_, _) => Task.FromException<IPAddress[]>(new System.Net.Sockets.SocketException(11001)));
        Uri[] given = [new("http://10.1.0.11:8080"), new("https://cluster.example"), new("http://nowhere.test:8080")];

        var urls = await resolver.ResolveAsync(given, null, default);

        Assert.Equal(given, urls);
    }

    [Fact]
    public async Task Rotation_spreads_clients_over_the_addresses()
    {
        var resolver = new SharedAddressResolver(Lookup("10.1.0.11", "10.1.0.12", "10.1.0.13"));

        var firsts = new Dictionary<string, int>();
        for (var i = 0; i < 300; i++)
        {
            var first = (await resolver.ResolveAsync([Name], $"device-{i}", default))[0].Host;
            firsts[first] = firsts.GetValueOrDefault(first) + 1;
        }

        Assert.Equal(3, firsts.Count);
        Assert.All(firsts.Values, n => Assert.InRange(n, 60, 140));
    }

    [Fact]
    public async Task An_address_that_failed_goes_last_until_it_answers_or_its_penalty_ends()
    {
        var time = new FakeTimeProvider();
        var resolver = new SharedAddressResolver(Lookup("10.1.0.11", "10.1.0.12"), time) { RefreshInterval = TimeSpan.FromHours(1) };
        var first = (await resolver.ResolveAsync([Name], null, default))[0];

        resolver.ReportFailure(first);
        Assert.Equal(first, (await resolver.ResolveAsync([Name], null, default))[1]);

        resolver.ReportSuccess(first);
        Assert.Equal(first, (await resolver.ResolveAsync([Name], null, default))[0]);

        resolver.ReportFailure(first);
        time.Advance(resolver.FailurePenalty);
        Assert.Equal(first, (await resolver.ResolveAsync([Name], null, default))[0]);
    }

    [Fact]
    public async Task A_name_is_resolved_again_after_the_refresh_interval_and_when_all_its_addresses_failed()
    {
        var time = new FakeTimeProvider();
        string[] records = ["10.1.0.11", "10.1.0.12"];
        var lookups = 0;
        var resolver = new SharedAddressResolver((_, _) =>
        {
            lookups++;
            return Task.FromResult(records.Select(IPAddress.Parse).ToArray());
        }, time);

        await resolver.ResolveAsync([Name], null, default);
        await resolver.ResolveAsync([Name], null, default);
        Assert.Equal(1, lookups);

        records = ["10.1.0.12", "10.1.0.13"]; // node .11 went, .13 came
        time.Advance(resolver.RefreshInterval);
        Assert.Equal(["10.1.0.12", "10.1.0.13"], (await resolver.ResolveAsync([Name], null, default)).Select(u => u.Host));
        Assert.Equal(2, lookups);

        records = ["10.1.0.14"];
        resolver.ReportFailure(new Uri("http://10.1.0.12:8080/"));
        resolver.ReportFailure(new Uri("http://10.1.0.13:8080/"));
        Assert.Equal(["10.1.0.14"], (await resolver.ResolveAsync([Name], null, default)).Select(u => u.Host));
        Assert.Equal(3, lookups);
    }

    private static Func<string, CancellationToken, Task<IPAddress[]>> Lookup(params string[] addresses) =>
        (host, _) =>
        {
            Assert.Equal("cluster.test", host);
            return Task.FromResult(addresses.Select(IPAddress.Parse).ToArray());
        };
}

/// <summary>The SDK with a shared address that is a DNS name.</summary>
public sealed class ClusterClientSharedAddressTests
{
    [Fact]
    public async Task Logon_at_a_name_tries_its_addresses_and_puts_a_dead_one_last()
    {
        using var stub = new StubCluster();
        var resolver = new SharedAddressResolver((_, _) => Task.FromResult(new[] { IPAddress.Parse("10.1.0.11"), IPAddress.Parse("10.1.0.12") }));
        var order = await resolver.ResolveAsync([new Uri("http://cluster.test")], "device-1", default);
        stub.Down.Add(order[0].GetLeftPart(UriPartial.Authority));
        await using var client = StubCluster.Client(stub, o =>
        {
            o.SharedAddress.Clear();
            o.SharedAddress.Add(new Uri("http://cluster.test"));
            o.AddressResolver = resolver;
        });

        await client.LogOnAsync();

        var tried = stub.Requests.Select(r => r.Uri.GetLeftPart(UriPartial.Authority)).ToList();
        Assert.Equal([order[0].GetLeftPart(UriPartial.Authority), order[1].GetLeftPart(UriPartial.Authority)], tried);
        Assert.Equal(order[1], (await resolver.ResolveAsync([new Uri("http://cluster.test")], "device-1", default))[0]);
    }
}

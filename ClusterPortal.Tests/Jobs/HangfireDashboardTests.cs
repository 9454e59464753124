using System.Net;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Jobs;

/// <summary>The Hangfire dashboard at <c>/hangfire</c> is for admins only (docs/architecture.md §6), on real Kestrel.</summary>
public sealed class HangfireDashboardTests
{
    [Fact]
    public async Task Dashboard_answers_401_without_the_admin_key_and_the_jobs_page_with_it()
    {
        await using var node = new PortalFactory();
        var anonymous = node.Client();
        var (device, _) = await node.LoggedOnClient("dashboard-device");
        var admin = node.AdminClient();

        using var noKey = await anonymous.GetAsync(new Uri("/hangfire", UriKind.Relative));
        using var clientToken = await device.GetAsync(new Uri("/hangfire", UriKind.Relative));
        using var withKey = await admin.GetAsync(new Uri("/hangfire", UriKind.Relative));
        using var jobs = await admin.GetAsync(new Uri("/hangfire/jobs/succeeded", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        Assert.True(clientToken.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"client token: {(int)clientToken.StatusCode}");
        Assert.Equal(HttpStatusCode.OK, withKey.StatusCode);
        Assert.Contains("Hangfire", await withKey.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, jobs.StatusCode);
    }
}

using System.Net;
using System.Net.Http.Json;
using ClusterEngine;
using ClusterPortal.Client.Contract;
using ClusterPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using static ClusterPortal.Tests.Api.ItemsTestSupport;

namespace ClusterPortal.Tests.Identity;

/// <summary>
/// A client id removed as idle and announced again by another device (docs/architecture.md §5): the first device's token,
/// valid or expired within its renewal grace, was issued for the earlier registration of the id and opens and renews
/// nothing of the new owner's session (found by a re-attack, 1 of 1, before tokens carried the registration). The clock is
/// a <see cref="ShiftedClock"/> and the removal is the node's own idle expiry called at once, so nothing waits for a timer.
/// </summary>
public sealed class ReusedClientIdTests : IDisposable
{
    private const string SupersededChallenge = "error_description=\"The client id was registered again\"";
    private readonly TestOrigin _origin = new();
    private readonly ShiftedClock _clock = new();
    private readonly string _data = Directory.CreateTempSubdirectory("portal-reused-").FullName;

    public void Dispose()
    {
        _origin.Dispose();
        try
        {
            if (Directory.Exists(_data))
            {
                Directory.Delete(_data, recursive: true);
            }
        }
        catch (IOException)
        {
            // Held by a finished host: the OS temp cleaner takes it.
        }
    }

    private PortalFactory Node(string idleTimeout, string? tokenLifetime = null, bool keepData = false)
    {
        var settings = _origin.Settings(new() { ["Cluster:ClientIdleTimeout"] = idleTimeout });
        if (tokenLifetime is not null)
        {
            settings["Portal:TokenLifetime"] = tokenLifetime;
        }

        return new PortalFactory(settings, _data)
        {
            KeepData = keepData,
            Configure = web => web.ConfigureServices(services => services.AddSingleton<TimeProvider>(_clock)),
        };
    }

    /// <summary>Moves the clock past the idle timeout and runs the node's idle expiry now: the id is free again.</summary>
    private async Task RemoveAsIdle(PortalFactory node, string clientId, TimeSpan idleTimeout, TimeSpan? by = null)
    {
        _clock.Advance(by ?? idleTimeout * 2);
        node.Services.GetRequiredService<ClusterNode>().ExpireIdle(idleTimeout); // the background expiry may have been first
        using var admin = node.AdminClient();
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/clients/{clientId}")).StatusCode);
    }

    private static async Task<SessionBody> Announce(HttpClient http, string clientId, string? token = null, HttpStatusCode expected = HttpStatusCode.Created)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/sessions") { Content = JsonContent.Create(new { clientId }) };
        if (token is not null)
        {
            request.Headers.Authorization = Bearer(token);
        }

        using var response = await http.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<SessionBody>())!;
    }

    private static async Task<HttpResponseMessage> Send(HttpClient http, HttpMethod method, string path, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = Bearer(token);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return await http.SendAsync(request);
    }

    /// <summary>The answer is the 401 of a token of an earlier registration: the bearer challenge and a detail saying so.</summary>
    internal static async Task AssertSuperseded(HttpResponseMessage response, string clientId)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = response.Headers.WwwAuthenticate.ToString();
        Assert.Contains("Bearer realm=\"ClusterPortal\"", challenge, StringComparison.Ordinal);
        Assert.Contains("error=\"invalid_token\"", challenge, StringComparison.Ordinal);
        Assert.Contains(SupersededChallenge, challenge, StringComparison.Ordinal);
        var problem = await response.Content.ReadFromJsonAsync<ApiProblem>(ContractJson.Options);
        Assert.Contains($"earlier registration of client '{clientId}'", problem!.Detail, StringComparison.Ordinal);
        Assert.Contains("registered again since the token was issued", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_valid_token_of_the_ids_earlier_registration_opens_and_renews_nothing_of_the_new_owners_session()
    {
        var idle = TimeSpan.FromHours(1);
        await using var node = Node("01:00:00"); // tokens live 30 days: far longer than the id stays reserved
        using var http = node.Client();
        const string id = "reused-valid";
        var first = await Announce(http, id);
        using (var own = await Send(http, HttpMethod.Get, ItemPath(id, "hello.txt"), first.Token))
        {
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        }

        await RemoveAsIdle(node, id, idle);
        var second = await Announce(http, id); // another device: no token, a new session
        Assert.NotEqual(first.Token, second.Token);
        Assert.True(first.TokenExpiresAt > _clock.GetUtcNow(), "the first device's token is still valid");

        using (var item = await Send(http, HttpMethod.Get, ItemPath(id, "hello.txt"), first.Token))
        {
            await AssertSuperseded(item, id);
        }

        using (var assignment = await Send(http, HttpMethod.Get, $"/api/clients/{id}", first.Token))
        {
            await AssertSuperseded(assignment, id);
        }

        using (var renewal = await Send(http, HttpMethod.Post, "/api/sessions", first.Token, new { clientId = id }))
        {
            await AssertSuperseded(renewal, id);
        }

        using (var logOff = await Send(http, HttpMethod.Delete, $"/api/sessions/{id}", first.Token))
        {
            await AssertSuperseded(logOff, id);
        }

        // The new owner's token works, renews, and its renewal works.
        using (var item = await Send(http, HttpMethod.Get, ItemPath(id, "hello.txt"), second.Token))
        {
            Assert.Equal(HttpStatusCode.OK, item.StatusCode);
        }

        var renewed = await Announce(http, id, second.Token, HttpStatusCode.OK);
        using (var item = await Send(http, HttpMethod.Get, ItemPath(id, "a/b/c.txt"), renewed.Token))
        {
            Assert.Equal(HttpStatusCode.OK, item.StatusCode);
        }
    }

    [Fact]
    public async Task An_expired_token_within_its_renewal_grace_does_not_renew_the_ids_new_registration()
    {
        // Tokens live 30 minutes and renew for the idle timeout (1 h) after expiry; 70 minutes later the first device's
        // token is expired but still within that grace, and its id has been unseen past the idle timeout.
        var idle = TimeSpan.FromHours(1);
        await using var node = Node("01:00:00", tokenLifetime: "00:30:00");
        using var http = node.Client();
        const string id = "reused-expired";
        var first = await Announce(http, id);

        await RemoveAsIdle(node, id, idle, by: TimeSpan.FromMinutes(70));
        Assert.True(first.TokenExpiresAt + idle > _clock.GetUtcNow(), "the first token is within its renewal grace");
        var second = await Announce(http, id);

        using (var renewal = await Send(http, HttpMethod.Post, "/api/sessions", first.Token, new { clientId = id }))
        {
            await AssertSuperseded(renewal, id);
        }

        using (var item = await Send(http, HttpMethod.Get, ItemPath(id, "hello.txt"), first.Token))
        {
            await AssertSuperseded(item, id);
        }

        using (var item = await Send(http, HttpMethod.Get, ItemPath(id, "hello.txt"), second.Token))
        {
            Assert.Equal(HttpStatusCode.OK, item.StatusCode);
        }
    }

    [Fact]
    public async Task A_device_whose_id_was_freed_but_not_taken_logs_on_again_with_its_token_as_before()
    {
        // The idle device returns before anyone else took its id: its token places the id anew (a new registration) and
        // the new token works; the old one is then of an earlier registration.
        var idle = TimeSpan.FromHours(1);
        await using var node = Node("01:00:00");
        using var http = node.Client();
        const string id = "reused-returning";
        var first = await Announce(http, id);

        await RemoveAsIdle(node, id, idle);
        var again = await Announce(http, id, first.Token);
        using (var item = await Send(http, HttpMethod.Get, ItemPath(id, "hello.txt"), again.Token))
        {
            Assert.Equal(HttpStatusCode.OK, item.StatusCode);
        }

        using (var item = await Send(http, HttpMethod.Get, ItemPath(id, "hello.txt"), first.Token))
        {
            await AssertSuperseded(item, id);
        }
    }

    [Fact]
    public async Task The_registration_survives_a_restart_so_the_old_token_stays_refused()
    {
        var idle = TimeSpan.FromHours(1);
        const string id = "reused-restart";
        SessionBody first, second;
        await using (var node = Node("01:00:00", keepData: true))
        {
            using var http = node.Client();
            first = await Announce(http, id);
            await RemoveAsIdle(node, id, idle);
            second = await Announce(http, id);
        }

        await using var restarted = Node("01:00:00");
        using var client = restarted.Client();
        using (var item = await Send(client, HttpMethod.Get, ItemPath(id, "hello.txt"), first.Token))
        {
            await AssertSuperseded(item, id);
        }

        using (var renewal = await Send(client, HttpMethod.Post, "/api/sessions", first.Token, new { clientId = id }))
        {
            await AssertSuperseded(renewal, id);
        }

        using (var item = await Send(client, HttpMethod.Get, ItemPath(id, "hello.txt"), second.Token))
        {
            Assert.Equal(HttpStatusCode.OK, item.StatusCode);
        }
    }
}

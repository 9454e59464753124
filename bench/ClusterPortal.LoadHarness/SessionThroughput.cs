using System.Globalization;
using System.Net;
using System.Text;

namespace ClusterPortal.LoadHarness;

/// <summary>Scenario 2: <c>POST /api/sessions</c> with fresh client ids (201 each), rate limit raised for the run.</summary>
internal static class SessionThroughput
{
    public static async Task<IReadOnlyList<RoundResult>> RunAsync(Fixture fixture, HarnessSettings settings)
    {
        using var client = Clients.Create(fixture.Node.BaseAddress, settings.Workers);
        Func<long, Task<bool>> announce = sequence => AnnounceAsync(client, sequence);
        await LoadLoop.RunAsync(settings.Workers, settings.WarmUp, announce);
        var rounds = new List<RoundResult>();
        for (var round = 0; round < settings.Rounds; round++)
        {
            rounds.Add(await LoadLoop.RunAsync(settings.Workers, settings.Duration, announce));
            Console.Error.WriteLine($"  sessions round {round + 1}: {rounds[^1].PerSecond,10:N0}/s ({rounds[^1].Failed} failed)");
        }

        return rounds;
    }

    private static async Task<bool> AnnounceAsync(HttpClient client, long sequence)
    {
        var body = "{\"clientId\":\"s-" + sequence.ToString(CultureInfo.InvariantCulture) + "\"}";
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(new Uri("/api/sessions", UriKind.Relative), content).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.Created;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using ClusterPortal.Client.Contract;

namespace ClusterPortal.LoadHarness;

/// <summary>
/// Scenario 4 (issue 14, <c>docs/deltas.md</c>): 100 JSON items of 4 KiB the client holds; 20 of them then change by
/// one field (an admin <c>PUT</c>). 10,000 requests that offer the held copy (<c>If-None-Match</c>,
/// <c>Accept-Encoding: dcz</c>, <c>Available-Dictionary</c>) — 80 % get a 304, 20 % a <c>dcz</c> delta, each checked to
/// decode to the new bytes — vs the same 10,000 requests unconditional (always the body), on HTTP/1.1 and on HTTP/2
/// (prior knowledge, <c>Portal:Http2Port</c>); bytes counted on the client's sockets. Also: the delta's size for a
/// one-field edit, bytes per validated hit on HTTP/2, and the process CPU of delta answers vs plain 200s of the same item.
/// </summary>
internal static class DeltaBytes
{
    public const int Items = 100;
    public const int ItemBytes = 4096;
    public const int Requests = 10_000;
    public const int ValidatedHits = 1_000;
    public const int CpuRequests = 2_000;
    private const int Workers = 16;

    public sealed record Held(string ETag, byte[] Content, DictionaryHash Hash);

    public sealed record Result(
        WireBytes.Pass DeltaH1, WireBytes.Pass PlainH1, WireBytes.Pass DeltaH2, WireBytes.Pass PlainH2, WireBytes.Pass HitsH2,
        double MedianDeltaFraction, IReadOnlyList<double> CpuRatios, H2loadHits.Result? H2load);

    public static async Task<Result> RunAsync(Fixture fixture)
    {
        var h1 = fixture.Node.BaseAddress;
        var h2 = fixture.Node.Http2Address;
        var held = new Held[Items];
        using (var admin = Clients.Create(h1, 4))
        {
            for (var i = 0; i < Items; i++)
            {
                await PutAsync(admin, i, JsonItem(i, edited: false));
            }

            for (var i = 0; i < Items; i++)
            {
                held[i] = await FetchAsync(fixture, admin, i);
            }

            for (var i = 0; i < Items; i += 5)
            {
                await PutAsync(admin, i, JsonItem(i, edited: true)); // one field changes
            }
        }

        int[] all = [.. Enumerable.Range(0, Items)];
        var deltaH1 = await PassAsync(fixture, h1, HttpVersion.Version11, Requests, Workers, i => held[i], all);
        var plainH1 = await PassAsync(fixture, h1, HttpVersion.Version11, Requests, Workers, _ => null, all);
        var deltaH2 = await PassAsync(fixture, h2, HttpVersion.Version20, Requests, Workers, i => held[i], all);
        var plainH2 = await PassAsync(fixture, h2, HttpVersion.Version20, Requests, Workers, _ => null, all);
        var hitsH2 = await PassAsync(fixture, h2, HttpVersion.Version20, ValidatedHits, 1, i => held[i], [1], warmUp: 1); // item 1 is unchanged
        using var hit = Request(fixture, 1, held[1], HttpVersion.Version20);
        var h2load = await H2loadHits.RunAsync(h2, hit.RequestUri!.OriginalString, hit.Headers.ToDictionary(h => h.Key, h => string.Join(", ", h.Value)));

        var fractions = new List<double>();
        using (var client = Clients.Create(h1, 1))
        {
            for (var i = 0; i < Items; i += 5)
            {
                using var response = await SendAsync(client, () => Request(fixture, i, held[i], HttpVersion.Version11));
                var body = await CheckedBodyAsync(response, held[i]);
                fractions.Add((double)body.Length / ItemBytes);
            }
        }

        var cpu = new List<double>();
        for (var round = 0; round < 3; round++)
        {
            var delta = await CpuAsync(fixture, h1, held[0]);
            var plain = await CpuAsync(fixture, h1, null);
            cpu.Add(delta / plain);
        }

        return new Result(deltaH1, plainH1, deltaH2, plainH2, hitsH2, LoadLoop.Median(fractions), cpu, h2load);
    }

    /// <summary>A 4 KiB JSON document: an id, a version field, and readings (not very compressible).</summary>
    public static byte[] JsonItem(int i, bool edited)
    {
        var random = new Random(1000 + i);
        var json = new StringBuilder(ItemBytes + 64);
        json.Append(CultureInfo.InvariantCulture, $"{{\"id\":\"sensor-{i:D3}\",\"status\":\"{(edited ? "degraded" : "ok")}\",\"readings\":[");
        while (json.Length < ItemBytes - 40)
        {
            json.Append(CultureInfo.InvariantCulture, $"{{\"t\":{random.Next(1_000_000, 9_999_999)},\"v\":{random.NextDouble() * 100:0.000}}},");
        }

        json.Length--;
        json.Append("]}");
        return Encoding.UTF8.GetBytes(json.ToString().PadRight(ItemBytes));
    }

    private static string Key(int i) => $"bench/json-{i:D3}.json";

    private static async Task PutAsync(HttpClient admin, int i, byte[] content)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri("/api/items/" + Key(i), UriKind.Relative)) { Content = new ByteArrayContent(content) };
        request.Headers.TryAddWithoutValidation("X-Admin-Key", PortalNode.AdminKey);
        using var response = await admin.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"PUT {Key(i)} answered {(int)response.StatusCode}.");
        }
    }

    private static async Task<Held> FetchAsync(Fixture fixture, HttpClient client, int i)
    {
        using var response = await SendAsync(client, () => Request(fixture, i, null, HttpVersion.Version11));
        var content = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != HttpStatusCode.OK || response.Headers.ETag is null)
        {
            throw new InvalidOperationException($"GET {Key(i)} answered {(int)response.StatusCode} without an ETag.");
        }

        return new Held(response.Headers.ETag.Tag, content, DictionaryHash.Of(content));
    }

    private static HttpRequestMessage Request(Fixture fixture, int i, Held? held, Version version)
    {
        var (id, token) = fixture.ClientsAndTokens[0];
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/api/clients/{id}/items/{Key(i)}", UriKind.Relative))
        {
            Version = version,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        if (held is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", held.ETag);
            request.Headers.TryAddWithoutValidation("Accept-Encoding", ClusterHeaders.DczEncoding);
            request.Headers.TryAddWithoutValidation(ClusterHeaders.AvailableDictionary, held.Hash.ToHeader());
        }

        return request;
    }

    /// <summary>The body of a 200; a <c>dcz</c> body must decode with the held copy to the edited item.</summary>
    private static async Task<byte[]> CheckedBodyAsync(HttpResponseMessage response, Held? held)
    {
        var body = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        if (response.Content.Headers.ContentEncoding.Contains(ClusterHeaders.DczEncoding))
        {
            var decoded = DczCodec.Decode(body, held!.Content, 1 << 20);
            if (!decoded.AsSpan().SequenceEqual(JsonItem(IndexOf(response), edited: true)))
            {
                throw new InvalidOperationException($"A dcz answer for {response.RequestMessage!.RequestUri} decoded to other bytes than the item.");
            }
        }
        else if (held is not null)
        {
            throw new InvalidOperationException($"{response.RequestMessage!.RequestUri}: a 200 without dcz although the node holds the client's version.");
        }

        return body;
    }

    private static int IndexOf(HttpResponseMessage response)
    {
        var path = response.RequestMessage!.RequestUri!.OriginalString;
        return int.Parse(path.AsSpan(path.Length - 8, 3), CultureInfo.InvariantCulture);
    }

    private static async Task<WireBytes.Pass> PassAsync(Fixture fixture, Uri target, Version version, int requests, int workers,
        Func<int, Held?> held, int[] items, int warmUp = 0)
    {
        var counter = new WireCounter();
        using var client = Clients.Create(target, workers, counter);
        for (var w = 0; w < warmUp; w++)
        {
            using var answer = await SendAsync(client, () => Request(fixture, items[0], held(items[0]), version));
            await answer.Content.ReadAsByteArrayAsync();
        }

        counter.Reset();
        int next = -1, notModified = 0, ok = 0;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var item = items[i % items.Length];
                using var response = await SendAsync(client, () => Request(fixture, item, held(item), version)).ConfigureAwait(false);
                switch (response.StatusCode)
                {
                    case HttpStatusCode.NotModified: Interlocked.Increment(ref notModified); break;
                    case HttpStatusCode.OK:
                        await CheckedBodyAsync(response, held(item)).ConfigureAwait(false);
                        Interlocked.Increment(ref ok);
                        break;
                    default: throw new InvalidOperationException($"Unexpected {(int)response.StatusCode} for {response.RequestMessage!.RequestUri}.");
                }
            }
        })));
        return new WireBytes.Pass(counter.Sent, counter.Received, notModified, ok);
    }

    /// <summary>
    /// Sends, again while the node answers 503 (on this shared machine a starved node may freeze for a moment and catch
    /// up: <c>ClusterHealthMonitor</c>); at most 100 tries. A retried request's bytes count too (rare; both passes alike).
    /// </summary>
    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, Func<HttpRequestMessage> request)
    {
        for (var attempt = 1; ; attempt++)
        {
            var message = request();
            var response = await client.SendAsync(message).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || attempt == 100)
            {
                return response;
            }

            response.Dispose();
            message.Dispose();
            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    /// <summary>Process CPU seconds (node and client share it) for <see cref="CpuRequests"/> 200s of item 0, as deltas or whole.</summary>
    private static async Task<double> CpuAsync(Fixture fixture, Uri target, Held? held)
    {
        using var client = Clients.Create(target, 1);
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        for (var n = 0; n < CpuRequests; n++)
        {
            using var response = await SendAsync(client, () => Request(fixture, 0, held, HttpVersion.Version11));
            await response.Content.ReadAsByteArrayAsync();
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"CPU pass: {(int)response.StatusCode}.");
            }
        }

        return (Process.GetCurrentProcess().TotalProcessorTime - before).TotalSeconds;
    }

    /// <summary>The scenario's table on stdout: ratios against the issue's targets.</summary>
    public static void Print(TextWriter o, Result r)
    {
        var c = CultureInfo.InvariantCulture;
        string Ratio(WireBytes.Pass a, WireBytes.Pass b) => ((double)a.Received / b.Received).ToString("0.000", c) + "x";
        string Answers(WireBytes.Pass p) => string.Create(c, $"{p.NotModified:N0} x 304, {p.Ok:N0} x 200");
        o.WriteLine();
        o.WriteLine(string.Create(c, $"Deltas (RFC 9842) — {Items} JSON items of {ItemBytes} B, 20 % edited by one field; {Requests:N0} requests, {Workers} workers, loopback"));
        o.WriteLine();
        o.WriteLine("| measure                                            | answers                 | bytes to client | ratio / figure | target    |");
        o.WriteLine("|----------------------------------------------------|-------------------------|-----------------|----------------|-----------|");
        Row(o, "HTTP/1.1: validators + dcz vs always the body", Answers(r.DeltaH1), r.DeltaH1.Received.ToString("N0", c), Ratio(r.DeltaH1, r.PlainH1), "<= 0.05x");
        Row(o, "HTTP/1.1: always the body", Answers(r.PlainH1), r.PlainH1.Received.ToString("N0", c), "1.000x", "");
        Row(o, "HTTP/2: validators + dcz vs always the body", Answers(r.DeltaH2), r.DeltaH2.Received.ToString("N0", c), Ratio(r.DeltaH2, r.PlainH2), "<= 0.05x");
        Row(o, "HTTP/2: always the body", Answers(r.PlainH2), r.PlainH2.Received.ToString("N0", c), "1.000x", "");
        Row(o, "HTTP/2 validated hit, .NET SDK stack (resp; req+resp)", Answers(r.HitsH2),
            string.Create(c, $"{(double)r.HitsH2.Received / ValidatedHits:0.0} B"), string.Create(c, $"{(double)(r.HitsH2.Sent + r.HitsH2.Received) / ValidatedHits:0.0} B"), "<= 30 B; 60 B (h2load)");
        Row(o, "HTTP/2 validated hit, h2load (nghttp2) (resp; req+resp)", r.H2load is null ? "h2load not found" : string.Create(c, $"{H2loadHits.Hits} x 304"),
            r.H2load is null ? "-" : string.Create(c, $"{r.H2load.Response:0.0} B"), r.H2load is null ? "-" : string.Create(c, $"{r.H2load.Request + r.H2load.Response:0.0} B"), "<= 30 B; 60 B");
        Row(o, "delta of a one-field edit / item (median)", "", "", (r.MedianDeltaFraction * 100).ToString("0.00", c) + " %", "<= 5 %");
        Row(o, "CPU: delta 200 / plain 200, same item (3 runs)", string.Join(" / ", r.CpuRatios.Select(x => x.ToString("0.00", c))), "",
            LoadLoop.Median(r.CpuRatios).ToString("0.00", c) + "x", "<= 3x");
        o.WriteLine();
        if (r.H2load is not null)
        {
            o.WriteLine(string.Create(c, $"{r.H2load.Tool}: per additional request on one connection, counted by a loopback relay (all frames). Request {r.H2load.Request:0.0} B."));
        }

        o.WriteLine("CPU is this process's (node and client together) over " + CpuRequests.ToString("N0", c) + " sequential requests each; bytes are HTTP bytes on the client's sockets (no TCP/IP).");
    }

    private static void Row(TextWriter o, string measure, string answers, string bytes, string ratio, string target) =>
        o.WriteLine($"| {measure,-50} | {answers,-23} | {bytes,15} | {ratio,14} | {target,-9} |");
}

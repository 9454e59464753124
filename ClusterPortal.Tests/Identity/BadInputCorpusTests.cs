using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ClusterPortal.Tests.Cluster;
using ClusterPortal.Tests.Support;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Xunit.Abstractions;

namespace ClusterPortal.Tests.Identity;

/// <summary>
/// Issue 11, item 5: the bad-input corpus (<see cref="BadInputCorpus"/>, <see cref="HubInputCorpus"/>) against a real
/// 2-node cluster: every endpoint × every mutation kind, both hubs' methods, forged, replayed and non-member peer
/// credentials, spoofed forward markers. 0 answers of 5xx, 0 hangs, 0 node crashes, and the cluster's state
/// (members, assignments, the origin folder, the data directories' files) the same before and after.
/// </summary>
[Collection(ProcessFailureGroup.Name)]
[Trait("Category", "Process")]
public sealed class BadInputCorpusTests(ITestOutputHelper output)
{
    private const string ClientId = "corpus-client";
    private static readonly TimeSpan s_hang = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task No_bad_input_gets_a_5xx_hangs_crashes_a_node_or_changes_state()
    {
        using var origin = new TempDir();
        await File.WriteAllTextAsync(Path.Combine(origin.Path, "hello.txt"), "hello");
        Directory.CreateDirectory(Path.Combine(origin.Path, "news"));
        await File.WriteAllTextAsync(Path.Combine(origin.Path, "news", "today.txt"), "news");
        await using var cluster = await ProcessCluster.StartAsync(2,
            [$"--Origin:Root={origin.Path}", "--Portal:AuthFailureLimit=1000000", "--Portal:SessionRateLimit=1000000"]);
        var (_, token) = await cluster.AnnounceAsync(cluster[0], ClientId);
        var before = await StateAsync(cluster, origin.Path);
        var failures = new List<string>();
        var statuses = new Dictionary<int, int>();
        var count = 0;

        // HTTP: every endpoint × mutation, at node-1; forward markers at both nodes.
        string[] Auth(BadInputCorpus.Auth who) => who switch
        {
            BadInputCorpus.Auth.Admin => [$"X-Admin-Key: {ProcessCluster.AdminKey}"],
            BadInputCorpus.Auth.Client => [$"Authorization: Bearer {token}"],
            _ => [],
        };
        var inputs = BadInputCorpus.Build(Auth, ClientId, "node-2");
        foreach (var node in cluster.Nodes)
        {
            foreach (var marker in ForwardMarkers(node.NodeId))
            {
                inputs.Add(new BadInputCorpus.Input("spoofed X-Cluster-Forwarded", "GET", $"/api/clients/{ClientId}/items/hello.txt", null,
                    [$"Authorization: Bearer {token}", $"X-Cluster-Forwarded: {marker}"]));
            }
        }

        foreach (var input in inputs)
        {
            count++;
            var node = input.Kind.StartsWith("spoofed", StringComparison.Ordinal) && count % 2 == 0 ? cluster[1] : cluster[0];
            var status = await SendAsync(node, input);
            Tally(statuses, status);
            if (status is >= 200 and < 300 && input.Method is not ("GET" or "HEAD"))
            {
                output.WriteLine($"accepted: {input} → {status}");
            }

            if (status is >= 500 or < 0)
            {
                failures.Add($"{input} at {node.NodeId} → {(status == -1 ? "hang" : status.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
            }
        }

        // Backplane: credentials that must not connect (negotiate answers 401/403, never 5xx).
        var incarnation = await PeerLink.IncarnationAsync(cluster.Http, cluster[0].Url, "node-2");
        var captured = PeerLink.Credential(ProcessCluster.ClusterKey, "node-2", "node-1", incarnation);
        await (await PeerLink.ConnectAsync(cluster[0].Url, "node-2", captured)).DisposeAsync();
        foreach (var (name, headers) in HubInputCorpus.BadPeerCredentials("node-2", "node-1", incarnation, captured))
        {
            count++;
            var status = await SendAsync(cluster[0], new("backplane credential " + name, "POST", "/hubs/backplane/negotiate?negotiateVersion=1", [], headers));
            Tally(statuses, status);
            if (status is not (400 or 401 or 403))
            {
                failures.Add($"backplane credential {name} → {status} (expected 400, 401 or 403)");
            }
        }

        // A non-member holding the key may connect (it may be joining), but may call nothing but Hello and Members
        // (both checked by content: the state comparison at the end shows nothing was applied).
        await using (var stranger = await PeerLink.ConnectAsync(cluster[0].Url, "node-9", PeerLink.Credential(ProcessCluster.ClusterKey, "node-9", "node-1")))
        {
            foreach (var (method, args) in HubInputCorpus.BadBackplaneCalls("node-9").Where(c => c.Method is not ("Hello" or "Members")))
            {
                count++;
                if (stranger.State != HubConnectionState.Connected)
                {
                    break;
                }

                using var timeout = new CancellationTokenSource(s_hang);
                try
                {
                    await stranger.InvokeCoreAsync(method, typeof(object), args, timeout.Token);
                    failures.Add($"non-member node-9 called {method}({Describe(args)}) and it was not refused");
                }
                catch (Exception e) when (e is HubException or InvalidOperationException)
                {
                    // refused
                }
            }
        }

        // Backplane: a member's connection invoking every method with wrong shapes and non-members.
        HubConnection? peer = null;
        foreach (var (method, args) in HubInputCorpus.BadBackplaneCalls("node-2"))
        {
            count++;
            if (peer is null || peer.State != HubConnectionState.Connected)
            {
                if (peer is not null)
                {
                    await peer.DisposeAsync();
                }

                peer = await PeerLink.ConnectAsync(cluster[0].Url, "node-2", PeerLink.Credential(ProcessCluster.ClusterKey, "node-2", "node-1", incarnation));
            }

            await InvokeAsync(peer, "backplane", method, args, failures);
        }

        if (peer is not null)
        {
            await peer.DisposeAsync();
        }

        // Feed hub: every method with wrong shapes.
        await using (var feed = new HubConnectionBuilder().WithUrl(cluster[0].Url + "/hubs/feed", HttpTransportType.WebSockets, o => o.SkipNegotiation = true).Build())
        {
            await feed.StartAsync();
            foreach (var (method, args) in HubInputCorpus.BadFeedCalls())
            {
                count++;
                await InvokeAsync(feed, "feed", method, args, failures);
            }
        }

        output.WriteLine($"{count} inputs; HTTP statuses: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}");
        Assert.True(count >= 300, $"only {count} inputs");
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n{string.Join('\n', failures.Take(60))}");
        Assert.All(cluster.Nodes, n => Assert.True(n.IsRunning, $"{n.NodeId} exited:\n{n.Tail()}"));
        await cluster.WaitAllUpAsync();
        var after = await StateAsync(cluster, origin.Path);
        Assert.Equal(before, after);
    }

    private static void Tally(Dictionary<int, int> statuses, int status) => statuses[status] = statuses.GetValueOrDefault(status) + 1;

    /// <summary>Markers a client could set: none verify (wrong key, copied, stale, malformed), so each is stripped.</summary>
    private static IEnumerable<string> ForwardMarkers(string nodeId)
    {
        var key = "another-cluster-key-0123456789";
        var other = new ClusterEngine.Backplane.ForwardMarker(key, TimeProvider.System, TimeSpan.FromSeconds(30));
        var real = new ClusterEngine.Backplane.ForwardMarker(ProcessCluster.ClusterKey, TimeProvider.System, TimeSpan.FromSeconds(30));
        string target = $"/api/clients/{ClientId}/items/hello.txt";
        return
        [
            "1", "true", "node-1", "node-2", "", new string('f', 10_000), "node-1.0.AAAAAAAAAAAAAAAAAAAAAA", "\u00e9\u00e9",
            other.Create("node-1", nodeId, "GET", target, ClientId),
            real.Create("node-1", nodeId, "GET", "/api/clients/someone-else/items/hello.txt", ClientId),
            real.Create("node-9", nodeId, "GET", target, ClientId),
        ];
    }

    private async Task<int> SendAsync(ProcessCluster.Node node, BadInputCorpus.Input input)
    {
        try
        {
            var answer = await RawHttp.SendAsync(new Uri(node.Url), input.Method, input.Target, input.Body, input.Headers).WaitAsync(s_hang);
            return answer.Status;
        }
        catch (TimeoutException)
        {
            return -1;
        }
        catch (OperationCanceledException)
        {
            return -1;
        }
        catch (IOException e) when (input.Body is { Length: > 1024 * 1024 })
        {
            output.WriteLine($"{input}: the node closed the connection while a large body was sent ({e.Message})");
            return 0;
        }
    }

    private static async Task InvokeAsync(HubConnection hub, string name, string method, object?[] args, List<string> failures)
    {
        using var timeout = new CancellationTokenSource(s_hang);
        try
        {
            await hub.InvokeCoreAsync(method, typeof(object), args, timeout.Token);
        }
        catch (HubException)
        {
            // refused: what a bad call should get
        }
        catch (InvalidOperationException)
        {
            // the server closed this connection (a refused caller); the next call opens another
        }
        catch (OperationCanceledException)
        {
            failures.Add($"{name} {method}({Describe(args)}) hung for {s_hang.TotalSeconds} s");
        }
    }

    private static string Describe(object?[] args)
    {
        var text = JsonSerializer.Serialize(args);
        return text.Length > 100 ? text[..100] + "…" : text;
    }

    /// <summary>Members (id, capacity, mode, name) as each node sees them, assignments, origin files with hashes, data-directory files.</summary>
    private static async Task<string> StateAsync(ProcessCluster cluster, string origin)
    {
        var state = new StringBuilder();
        foreach (var node in cluster.Nodes)
        {
            using var doc = JsonDocument.Parse(await cluster.Http.GetStringAsync(new Uri(node.Url + "/api/cluster")));
            foreach (var n in doc.RootElement.GetProperty("nodes").EnumerateArray())
            {
                state.Append(node.NodeId).Append(" sees ").Append(n.GetProperty("nodeId").GetString()).Append(' ')
                    .Append(n.GetProperty("capacity").GetRawText()).Append(' ').Append(n.GetProperty("mode").GetRawText()).Append(' ')
                    .Append(n.GetProperty("name").GetRawText()).Append('\n');
            }

            foreach (var (client, (primary, alternate)) in await cluster.ClientsAsync(node))
            {
                state.Append(node.NodeId).Append(" client ").Append(client).Append(' ').Append(primary).Append(' ').Append(alternate).Append('\n');
            }

            foreach (var file in Directory.EnumerateFiles(node.DataDirectory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var name = Path.GetRelativePath(node.DataDirectory, file);
                if (!name.EndsWith("-wal", StringComparison.Ordinal) && !name.EndsWith("-shm", StringComparison.Ordinal) && !name.EndsWith("-journal", StringComparison.Ordinal))
                {
                    state.Append(node.NodeId).Append(" data ").Append(name).Append('\n');
                }
            }
        }

        foreach (var file in Directory.EnumerateFileSystemEntries(origin, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var hash = File.Exists(file) ? Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(file))) : "dir";
            state.Append("origin ").Append(Path.GetRelativePath(origin, file)).Append(' ').Append(hash).Append('\n');
        }

        return state.ToString();
    }
}

using ClusterEngine.Backplane;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Identity;

/// <summary>
/// The hub half of the bad-input corpus (issue 11, item 5): backplane credentials that must not connect, and
/// invocations of every <c>/hubs/backplane</c> and <c>/hubs/feed</c> method with arguments of the wrong shape or
/// naming non-members, each of which must be refused with nothing applied.
/// </summary>
internal static class HubInputCorpus
{
    /// <summary>Headers for <c>POST /hubs/backplane/negotiate</c> that must not authenticate a peer (each a fresh attempt).</summary>
    public static IEnumerable<(string Name, string[] Headers)> BadPeerCredentials(string member, string target, long incarnation, string captured)
    {
        string Header(string nodeId, string credential) => $"{PeerCredentials.AuthHeader}: {credential}";
        var key = ProcessCluster.ClusterKey;
        yield return ("none", []);
        yield return ("node id only", [$"{PeerCredentials.NodeHeader}: {member}"]);
        yield return ("credential only", [Header(member, PeerLink.Credential(key, member, target, incarnation))]);
        yield return ("replayed", [$"{PeerCredentials.NodeHeader}: {member}", Header(member, captured)]);
        yield return ("for another node", [$"{PeerCredentials.NodeHeader}: {member}", Header(member, PeerLink.Credential(key, member, member, incarnation))]);
        yield return ("another cluster's key", [$"{PeerCredentials.NodeHeader}: {member}", Header(member, PeerLink.Credential("another-cluster-key-0123456789", member, target, incarnation))]);
        yield return ("10 minutes old", [$"{PeerCredentials.NodeHeader}: {member}", Header(member, PeerLink.Credential(key, member, target, incarnation, new PeerLink.ShiftedTime(TimeSpan.FromMinutes(-10))))]);
        yield return ("10 minutes ahead", [$"{PeerCredentials.NodeHeader}: {member}", Header(member, PeerLink.Credential(key, member, target, incarnation, new PeerLink.ShiftedTime(TimeSpan.FromMinutes(10))))]);
        yield return ("names another node", [$"{PeerCredentials.NodeHeader}: node-9", Header(member, PeerLink.Credential(key, member, target, incarnation))]);
        var good = PeerLink.Credential(key, member, target, incarnation);
        foreach (var (name, mangled) in new[]
        {
            ("truncated", good[..^4]), ("one byte flipped", good[..^1] + (good[^1] == 'A' ? 'B' : 'A')), ("empty", ""), ("garbage", "2.x.y.z.w.v"),
            ("huge", new string('2', 16_000)), ("control", "2.\u0001.\u0002"), ("non-ASCII", "2.\u00e9.\u00fc"), ("version 1", "1" + good[1..]),
            ("negative incarnation", good.Replace($".{incarnation}.", ".-1.", StringComparison.Ordinal)),
        })
        {
            yield return (name, [$"{PeerCredentials.NodeHeader}: {member}", Header(member, mangled)]);
        }
    }

    /// <summary>Backplane invocations (method, arguments) a member's connection sends that must be refused or be harmless.</summary>
    public static IEnumerable<(string Method, object?[] Args)> BadBackplaneCalls(string member)
    {
        object Delta(string clientId, string primary, string? alternate, string versionNode) =>
            new { clientId, primaryNodeId = primary, alternateNodeId = alternate, version = 1, versionNodeId = versionNode };
        object?[] wrongShapes = [null, 5, "text", true, new[] { 1, 2 }, new { }, new { nodeId = new string('n', 10_000) }];
        foreach (var method in new[] { "Hello", "Status", "AssignmentChanged", "Offer", "Claim", "ClaimRelease", "Members", "ItemChanged", "MirrorSync", "ClientsSeen" })
        {
            foreach (var arg in wrongShapes)
            {
                yield return (method, [arg]);
            }

            yield return (method, []);
            yield return (method, [null, null]);
        }

        yield return ("NoSuchMethod", []);
        yield return ("AssignmentChanged", [new[] { Delta("c-bad", "node-9", "node-1", "node-1") }]);
        yield return ("AssignmentChanged", [new[] { Delta("c-bad", "node-1", "node-9", "node-1") }]);
        yield return ("AssignmentChanged", [new[] { Delta("c-bad", "node-1", "node-2", "node-9") }]);
        yield return ("AssignmentChanged", [new[] { Delta("", "node-1", "node-2", member) }]);
        yield return ("AssignmentChanged", [new[] { Delta(new string('c', 5000), "node-1", "node-2", member) }]);
        yield return ("AssignmentChanged", [Enumerable.Range(0, 20_000).Select(i => Delta($"c-flood-{i}", "node-9", null, "node-9")).ToArray()]);
        yield return ("Status", [new { nodeId = "node-9", incarnation = 1, sequence = 1, state = 0, inFlight = 0, maxConcurrentRequests = 1, primaryCount = 0, alternateCount = 0, clock = 1, membershipDigest = 0 }]);
        yield return ("Status", [new { nodeId = member, incarnation = 1, sequence = -1, state = 99, inFlight = -5, maxConcurrentRequests = -1, primaryCount = -1, alternateCount = -1, clock = -1, membershipDigest = 0 }]);
        yield return ("MirrorSync", [new { version = 1, fromNodeId = "node-9", parts = Array.Empty<object>() }]);
        yield return ("MirrorSync", [new { version = 99, fromNodeId = member, parts = Array.Empty<object>() }]);
        yield return ("MirrorSync", [new { version = 1, fromNodeId = member, parts = new[] { new { snapshot = (object?)null, more = false } } }]);
        foreach (var id in new[] { "", "../x", "a\u0000b", new string('c', 5000), "caf\u00e9\u202e" })
        {
            yield return ("Offer", [new { clientId = id, bounces = 0, offered = Array.Empty<string>() }]);
            yield return ("Claim", [new { clientId = id, claimId = "claim-1" }]);
            yield return ("ClaimRelease", [new { clientId = id, claimId = "claim-1" }]);
            yield return ("ItemChanged", [new { key = id }]);
            yield return ("ClientsSeen", [new[] { new { clientId = id, at = 1_800_000_000L } }]);
        }

        // Last-seen notes: times before the epoch or far ahead (capped at the receiver's clock), a flood beyond one batch.
        yield return ("ClientsSeen", [new[] { new { clientId = "c-seen", at = -1L } }]);
        yield return ("ClientsSeen", [new[] { new { clientId = "c-seen", at = long.MaxValue } }]);
        yield return ("ClientsSeen", [new[] { new { clientId = "c-seen", at = (object)"yesterday" } }]);
        yield return ("ClientsSeen", [Enumerable.Range(0, 20_000).Select(i => new { clientId = $"c-seen-{i}", at = 1_800_000_000L }).ToArray()]);

        yield return ("Offer", [new { clientId = "c-offer", bounces = -1, offered = Array.Empty<string>() }]);
        yield return ("Offer", [new { clientId = "c-offer", bounces = int.MaxValue, offered = Enumerable.Repeat("node-9", 10_000).ToArray() }]);
        yield return ("Claim", [new { clientId = "c-claim", claimId = new string('x', 500) }]);
        yield return ("Claim", [new { clientId = "c-claim", claimId = "claim-2", retryTag = new string('f', 100_000) }]); // only 32 hex digits or none
        yield return ("Claim", [new { clientId = "c-claim", claimId = "claim-3", retryTag = "NOT-HEX-NOT-HEX-NOT-HEX-NOT-HEX-" }]);
        yield return ("Hello", [new { self = new { nodeId = "node-9", url = "http://127.0.0.1:1", name = "x", capacity = -5, order = 0, mode = 0, removed = false, version = 1, versionNodeId = "node-9" }, incarnation = 1, join = false }]);
        yield return ("Members", [new[] { new { nodeId = (string?)null, url = "::", name = "x", capacity = -5, order = 0, mode = 42, removed = false, version = -1, versionNodeId = "" } }]);
    }

    /// <summary>Feed hub invocations with arguments of the wrong shape.</summary>
    public static IEnumerable<(string Method, object?[] Args)> BadFeedCalls()
    {
        foreach (var arg in new object?[] { null, "x", -5, int.MaxValue, long.MaxValue, 1e20, new { }, new[] { 1 } })
        {
            yield return ("Recent", [arg]);
            yield return ("Status", [arg]);
        }

        yield return ("Recent", [1, 2]);
        yield return ("NoSuchMethod", []);
        yield return ("OnConnectedAsync", []);
    }
}

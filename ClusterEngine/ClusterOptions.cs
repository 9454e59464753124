namespace ClusterEngine;

/// <summary>
/// Options of one cluster node, bound from the <c>Cluster</c> configuration section (docs/architecture.md §12).
/// Validated at start by <see cref="ClusterOptionsValidator"/>; a bad value names its key.
/// </summary>
public sealed class ClusterOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Cluster";

    /// <summary>Stable node identity (1–64 characters of <c>A-Za-z0-9._-</c>); unset means "start a local cluster".</summary>
    public string? NodeId { get; set; }

    /// <summary>Display name; defaults to the node id.</summary>
    public string? NodeName { get; set; }

    /// <summary>Absolute http(s) URL peers and clients use for this node; defaults to the first listening address.</summary>
    public string? AdvertisedUrl { get; set; }

    /// <summary>Clients this node can serve as primary. Default 10000; 1 to <see cref="NodeCapacity.Max"/> (10,000,000).</summary>
    public int Capacity { get; set; } = 10_000;

    /// <summary>
    /// Failure zone of this node: a rack, a host or an availability zone (in Kubernetes the node's
    /// <c>topology.kubernetes.io/zone</c> label); 1–63 characters of <c>A-Za-z0-9._-</c>, or empty (default) for none.
    /// A client's alternate is never in its primary's zone while another zone has an eligible node (docs/network.md).
    /// </summary>
    public string? Zone { get; set; }

    /// <summary>
    /// URLs of nodes to join. The host of a seed may be a DNS name with one address record per node (patent Fig. 8: one
    /// domain name for all): it is resolved to every address at each join attempt and each address is tried.
    /// </summary>
    public IList<string> Seeds { get; } = [];

    /// <summary>Shared secret for the backplane and client tokens (at least 16 characters).</summary>
    public string? Key { get; set; }

    /// <summary>
    /// Other cluster keys this node accepts while the cluster changes its key (docs/identity.md, "Changing the cluster
    /// key"): client tokens, peer credentials and forward markers made with one of them are valid here; this node makes its
    /// own with <see cref="Key"/> only. At most <see cref="MaxAcceptedKeys"/>, each at least 16 characters. Empty by default.
    /// </summary>
    public IList<string> AcceptedKeys { get; } = [];

    /// <summary>How many <see cref="AcceptedKeys"/> a node takes (each costs a MAC on a credential that matches no key).</summary>
    public const int MaxAcceptedKeys = 4;

    /// <summary><see cref="Key"/> first, then <see cref="AcceptedKeys"/>: every key a credential may be made with.</summary>
    /// <exception cref="InvalidOperationException"><see cref="Key"/> is not set.</exception>
    public IReadOnlyList<string> VerificationKeys() =>
        [Key ?? throw new InvalidOperationException("Cluster:Key is required."), .. AcceptedKeys.Where(k => k != Key)];

    /// <summary>Fraction of capacity (0 &lt; x ≤ 1) from which new clients are bounced. Default 0.8 (patent Fig. 4, step 460).</summary>
    public double AdmissionThreshold { get; set; } = 0.8;

    /// <summary>Bounces allowed for one new client (≥ 0). Default 1: a bounced-to node may not bounce again (Fig. 4, step 485).</summary>
    public int MaxBounces { get; set; } = 1;

    /// <summary>Fraction (0 &lt; x ≤ 1) of <see cref="MaxConcurrentRequests"/> at or above which the node is unavailable (Fig. 6, step 640). Default 0.8.</summary>
    public double BusyThreshold { get; set; } = 0.8;

    /// <summary>In-flight client requests the node accepts (≥ 1). Default 1000.</summary>
    public int MaxConcurrentRequests { get; set; } = 1000;

    /// <summary>Status broadcast period. Default 250 ms.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Silence after which a peer is Down; must exceed <see cref="HeartbeatInterval"/> plus two <see cref="TickInterval"/>
    /// (see <see cref="SelfSilenceBudget"/>). Default 1 s.
    /// </summary>
    public TimeSpan FailureTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// On a slow link, a peer is Down after <c>HeartbeatInterval + FailureRttFactor × RTT</c> of silence when that is longer
    /// than <see cref="FailureTimeout"/> (RTT: median round trip to the peer, measured by the heartbeats); 0 (default) turns
    /// it off. 0–100; 16 is the recommended setting for slow, lossy links (docs/network.md).
    /// </summary>
    public double FailureRttFactor { get; set; }

    /// <summary>Longest silence timeout <see cref="FailureRttFactor"/> can give a peer. Default 15 s; at least <see cref="FailureTimeout"/>.</summary>
    public TimeSpan FailureTimeoutMax { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long this node may go without running its health monitor and still serve as primary:
    /// <see cref="FailureTimeout"/> − <see cref="HeartbeatInterval"/> − 2 × <see cref="TickInterval"/> (700 ms with the
    /// defaults). Why: a peer declares this node Down after <see cref="FailureTimeout"/> of silence counted from the last
    /// heartbeat it received, and that heartbeat left up to one heartbeat interval (sent on a tick) before this node's last
    /// tick; past this budget a peer may already have promoted this node's clients' alternates (patent Fig. 6, steps
    /// 670–680), so a node that was frozen (SIGSTOP, a long pause) must not answer as their primary until it has caught
    /// up again (docs/recovery.md "Freezes"). Derived, not configured.
    /// </summary>
    public TimeSpan SelfSilenceBudget => FailureTimeout - HeartbeatInterval - (2 * TickInterval);

    /// <summary>Unseen clients are removed after this. Default 7 days.</summary>
    public TimeSpan ClientIdleTimeout { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Directory for this node's SQLite databases and keys. Default <c>./data/{NodeId}</c>.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>
    /// Period of the health monitor's loop: failure verdicts, quorum, freeze detection, the heartbeat clock. Default 25 ms;
    /// positive and at most <see cref="HeartbeatInterval"/> (a heartbeat goes out on a tick).
    /// </summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// How long the TCP re-check of a peer whose connection dropped waits for the connect: a refusal within it is evidence
    /// the process is gone (Down at once). Default 150 ms; positive and shorter than <see cref="FailureTimeout"/>.
    /// </summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromMilliseconds(150);

    /// <summary>How long an offer of a new client waits for the potential primary's answer (patent Fig. 4, steps 460–490) before the next node is tried. Default 750 ms; positive.</summary>
    public TimeSpan OfferTimeout { get; set; } = TimeSpan.FromMilliseconds(750);

    /// <summary>How long a <c>Hello</c> to a seed or to a node being added waits for its answer (connect included). Default 3 s; positive.</summary>
    public TimeSpan HelloTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long the membership authority waits for a node being removed to confirm that it stopped serving before the
    /// removal applies and the node's clients are failed over (docs/recovery.md, "Removal and re-add"). A node that does not
    /// answer in time (stopped, frozen, cut off) is removed anyway. Also how long a request forwarded to a node that answers
    /// "removed" waits for the removal to reach the forwarding node's view before that node fails the client over in the
    /// same request (else it answers 503). Default 1 s; positive, at most 1 minute.
    /// </summary>
    public TimeSpan RemovalAckTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a graceful leave waits for the mirrors of its clients to reach their alternates before it hands the clients over anyway. Default 3 s; positive.</summary>
    public TimeSpan HandOverTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a graceful leave waits for its queued assignment changes to reach the peers. Default 5 s; positive.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// On a graceful leave (SIGTERM), how long this node is <c>Leaving</c> — still serving its clients — before it hands
    /// them over, so that it learns which other nodes are leaving too and hands clients only to nodes that stay (when
    /// every node is stopped at once, each keeps its clients). SIGTERMs further apart than this are a rolling stop: the
    /// clients end on the last node standing. Default 1 s; 0 (hand over at once) to 1 minute.
    /// </summary>
    public TimeSpan LeaveGrace { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Derived, not configured: the longest a graceful leave can take — a status to every peer (at most
    /// <see cref="FailureTimeout"/>) before and after, the hand-over preparation (<see cref="HandOverTimeout"/>), the
    /// <see cref="LeaveGrace"/> and the outbox drain (<see cref="DrainTimeout"/>). With the defaults 11 s. The host's
    /// shutdown timeout is this plus 8 s (docs/recovery.md, "Graceful leave and the full restart").
    /// </summary>
    public TimeSpan LeaveBudget => (2 * FailureTimeout) + HandOverTimeout + LeaveGrace + DrainTimeout;

    /// <summary>
    /// Once this node is first Up after its start, how long a member it has not heard from since it started (it may be
    /// restarting too, e.g. after a full restart) keeps its clients before they are failed over to their alternates;
    /// meanwhile a request for one of them answers 503 with Retry-After instead of moving it (<see cref="Membership.RestartGrace"/>).
    /// A member this node saw alive and then lost is failed over at once. Default 10 s; 0 to 10 minutes.
    /// </summary>
    public TimeSpan RestartGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a peer's assignment digest (in its <c>Status</c>) may differ from this node's before this node pulls the
    /// differing buckets of the peer's table and merges them (anti-entropy: every view agrees, not only after a catch-up).
    /// Default 1 s; at least <see cref="HeartbeatInterval"/>, at most 10 minutes.
    /// </summary>
    public TimeSpan AntiEntropyDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>TCP connect timeout of a request forwarded to the serving node; a peer that does not accept within it is failed over in the same request. Default 500 ms; positive.</summary>
    public TimeSpan ForwardConnectTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest silence of a forwarded request's answer before it is given up. Default 30 s; longer than <see cref="ForwardConnectTimeout"/>.</summary>
    public TimeSpan ForwardActivityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// No longer used: a forwarded request ends the moment its target is declared Down (a cancellation fired by the
    /// verdict on the change stream, not a poll). Still accepted, so existing settings keep working. Default 100 ms; positive.
    /// </summary>
    public TimeSpan ForwardPeerWatchInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long a request of a client this node does not know waits for the client's assignment from a peer (a client
    /// announced elsewhere a moment ago) before answering 404. Default 500 ms; 0 turns the wait off; at most 1 minute.
    /// </summary>
    public TimeSpan UnknownClientWait { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Keep-alive ping period on the backplane connections between nodes (both ends). Default 5 s; positive.</summary>
    public TimeSpan PeerKeepAliveInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Silence after which a backplane connection is considered dead by SignalR and re-opened (both ends). Default 30 s;
    /// at least twice <see cref="PeerKeepAliveInterval"/>. Failure detection does not wait for it: see <see cref="FailureTimeout"/>.
    /// </summary>
    public TimeSpan PeerServerTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First backoff step of re-opening a peer connection or retrying a seed (the very first retry is immediate; then doubling, ±25 % jitter). Default 50 ms; positive.</summary>
    public TimeSpan PeerRetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Longest backoff between attempts to re-open a peer connection or reach a seed. Default 2 s; at least <see cref="PeerRetryBaseDelay"/>.</summary>
    public TimeSpan PeerRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How far the clock in a peer's credential or in a forwarded request's marker may be from this node's clock, either
    /// way (docs/identity.md): a credential older or newer than this is refused, and a seen one is remembered this long,
    /// so it cannot be used twice. Default 30 s; 1 s – 1 hour. The nodes' clocks must agree within it (NTP).
    /// </summary>
    public TimeSpan PeerClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Lifetime of a pending claim of a new client id at its claim holders (docs/identity.md): the announce that holds it
    /// places the client within half of it or gives up (503); a claim whose announce died expires after it. Default 10 s;
    /// at least twice <see cref="OfferTimeout"/>, at most 5 minutes.
    /// </summary>
    public TimeSpan ClientClaimTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long after registering a new client id the device may repeat its announce with the same retry key instead of
    /// a token (docs/identity.md, "A lost announce answer"): the id's claim holders remember the key's tag this long (in
    /// memory; at most <see cref="Placement.AnnounceRetry.MaxRemembered"/> ids per holder). Default 10 minutes; 0 (off)
    /// to 1 hour.
    /// </summary>
    public TimeSpan AnnounceRetryWindow { get; set; } = TimeSpan.FromMinutes(10);
}

namespace ClusterPortal.Hosting;

/// <summary>Who may use read-only views without the admin key (docs/architecture.md §6).</summary>
public enum AnonymousView
{
    /// <summary>Anonymous viewing from the machine itself only.</summary>
    Loopback = 0,

    /// <summary>Anyone may view.</summary>
    Always = 1,

    /// <summary>Viewing always needs the admin key.</summary>
    Never = 2,
}

/// <summary>Options of the portal host, bound from <c>Portal</c> (docs/architecture.md §12).</summary>
public sealed class PortalOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Portal";

    /// <summary>Admin login and <c>X-Admin-Key</c> (at least 16 characters). Required for a single node.</summary>
    public string? AdminKey { get; set; }

    /// <summary>Who may view without the admin key. Default <see cref="AnonymousView.Loopback"/>.</summary>
    public AnonymousView AnonymousView { get; set; } = AnonymousView.Loopback;

    /// <summary>Client token lifetime. Default 30 days.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary><c>POST /api/sessions</c> permits per second per remote address (429 beyond). Default 1000.</summary>
    public int SessionRateLimit { get; set; } = 1000;

    /// <summary>Largest request body accepted, in bytes (413 beyond). Default 1 MiB (item uploads by operators).</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Wrong admin keys and failed logins one remote address may make per <see cref="AuthFailureWindow"/> before it is
    /// answered 429 (with <c>Retry-After</c>) for the rest of the window. Default 10; 1 – 1,000,000.
    /// </summary>
    public int AuthFailureLimit { get; set; } = 10;

    /// <summary>The window of <see cref="AuthFailureLimit"/>. Default 1 minute; 1 s – 1 day.</summary>
    public TimeSpan AuthFailureWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Where the ASP.NET Core DataProtection keys (admin login cookies, antiforgery tokens) are kept. Default: the node's own
    /// <c>{Cluster:DataDirectory}/keys</c>, so a login survives a restart and no other node or process of the machine
    /// shares them; set the same directory on several nodes to share logins between them deliberately.
    /// </summary>
    public string? DataProtectionKeysDirectory { get; set; }

    /// <summary>
    /// A port that speaks only HTTP/2 on the hosts of <c>--urls</c> (cleartext with prior knowledge for <c>http</c>, TLS
    /// for <c>https</c>), for devices (the SDK's <c>Http2Port</c>); unset (the default): none. 1–65535, other than the <c>--urls</c> ports.
    /// </summary>
    public int? Http2Port { get; set; }
}

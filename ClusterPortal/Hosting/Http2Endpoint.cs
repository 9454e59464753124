using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ClusterPortal.Hosting;

/// <summary>
/// <c>Portal:Http2Port</c> (docs/deltas.md): one more listening address per <c>--urls</c> address, on the same host and
/// this port, that speaks only HTTP/2 — cleartext with prior knowledge for an <c>http</c> address (no upgrade round
/// trip: a device opens the connection and talks HTTP/2), TLS with ALPN <c>h2</c> for an <c>https</c> address (the
/// certificate comes from Kestrel's own configuration, <c>Kestrel:Certificates:Default</c>). The <c>--urls</c>
/// addresses keep HTTP/1.1 (and HTTP/2 over TLS), and the first of them stays the advertised one.
/// </summary>
/// <remarks>
/// Kestrel binds either the <c>--urls</c> addresses or endpoints configured in code, not both; so the HTTP/2 addresses
/// are added to the URL list and made HTTP/2-only by port (<see cref="KestrelServerOptions.ConfigureEndpointDefaults"/>).
/// </remarks>
internal static partial class Http2Endpoint
{
    /// <summary>Kestrel's address when none is configured.</summary>
    private const string KestrelDefaultUrl = "http://localhost:5000";

    public static WebApplicationBuilder AddHttp2Endpoint(this WebApplicationBuilder builder)
    {
        // A value that is not a port is refused with its key by PortalOptionsValidator at start.
        if (!int.TryParse(builder.Configuration[$"{PortalOptions.SectionName}:{nameof(PortalOptions.Http2Port)}"], NumberStyles.None,
                CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return builder;
        }

        var urls = builder.Configuration[WebHostDefaults.ServerUrlsKey];
        var listed = (string.IsNullOrWhiteSpace(urls) ? KestrelDefaultUrl : urls).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var http2 = listed.Select(url => WithPort(url, port)).Where(url => url is not null).Distinct(StringComparer.OrdinalIgnoreCase);
        builder.WebHost.UseUrls([.. listed, .. http2!]);
        builder.Services.Configure<KestrelServerOptions>(kestrel => kestrel.ConfigureEndpointDefaults(listen =>
        {
            if (listen.IPEndPoint?.Port == port)
            {
                listen.Protocols = HttpProtocols.Http2;
            }
        }));
        return builder;
    }

    /// <summary><paramref name="url"/> with its port replaced (wildcard hosts <c>*</c> and <c>+</c> kept); null when it is not an address.</summary>
    internal static string? WithPort(string url, int port)
    {
        var match = AddressPattern().Match(url);
        return match.Success ? string.Create(CultureInfo.InvariantCulture, $"{match.Groups["scheme"].Value}://{match.Groups["host"].Value}:{port}") : null;
    }

    [GeneratedRegex(@"^(?<scheme>https?)://(?<host>\[[^\]]+\]|[^:/\[\]]+)(:\d+)?/?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AddressPattern();
}

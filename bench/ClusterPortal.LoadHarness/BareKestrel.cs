using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Primitives;

namespace ClusterPortal.LoadHarness;

/// <summary>
/// The baseline: a minimal <see cref="WebApplication"/> on another loopback port that answers the same route
/// with the same 304 and the same header fields as the node (copied from one real answer of the node), doing
/// nothing else (no auth, no origin, no mirror; an ordinal compare of <c>If-None-Match</c>).
/// </summary>
internal sealed class BareKestrel : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BareKestrel(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <param name="etag">The item's current ETag.</param>
    /// <param name="headers">Header fields of the node's 304 (without Date, Server, which Kestrel adds).</param>
    public static async Task<BareKestrel> StartAsync(string etag, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = ["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"] });
        var app = builder.Build();
        var fixedHeaders = headers.Select(h => KeyValuePair.Create(h.Key, new StringValues(h.Value))).ToArray();
        app.MapGet("/api/clients/{clientId}/items/{**key}", (HttpContext http) =>
        {
            foreach (var (name, value) in fixedHeaders)
            {
                http.Response.Headers[name] = value;
            }

            http.Response.StatusCode = string.Equals(http.Request.Headers.IfNoneMatch, etag, StringComparison.Ordinal)
                ? StatusCodes.Status304NotModified
                : StatusCodes.Status412PreconditionFailed;
            return Task.CompletedTask;
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new BareKestrel(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace ClusterPortal.ClusterBench;

/// <summary>
/// The 304 anchor: a minimal WebApplication answering the item route with the node's 304 header fields (Date,
/// Cache-Control, ETag, X-Served-By) when <c>If-None-Match</c> is the item's tag, doing nothing else (no auth, no
/// origin, no mirror). Started as a child process: <c>bare &lt;url&gt; &lt;etag&gt;</c>.
/// </summary>
internal static class BareKestrel
{
    public static async Task RunAsync(string url, string etag)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        var app = builder.Build();
        app.MapGet("/health/ready", () => "ok");
        app.MapGet("/api/clients/{clientId}/items/{**key}", (HttpContext http) =>
        {
            var headers = http.Response.Headers;
            headers.CacheControl = "no-cache";
            headers.ETag = etag;
            headers["X-Served-By"] = "bare";
            http.Response.StatusCode = string.Equals(http.Request.Headers.IfNoneMatch, etag, StringComparison.Ordinal)
                ? StatusCodes.Status304NotModified
                : StatusCodes.Status412PreconditionFailed;
            return Task.CompletedTask;
        });
        await app.RunAsync(url);
    }

    /// <summary>
    /// The announce anchor (<c>wire-announce</c>): a minimal WebApplication whose <c>POST /api/sessions</c> reads the
    /// same JSON body as the node's and answers 201 with a <c>Location</c> and a body of the node's shape and size (the
    /// token is one the node issued, passed in), doing nothing else — no claim, no placement, no store, no signing.
    /// Started as a child process: <c>bare-announce &lt;url&gt; &lt;token&gt;</c>.
    /// </summary>
    public static async Task RunAnnounceAsync(string url, string token)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        var app = builder.Build();
        var self = new BareNodeRef("bare", url);
        app.MapGet("/health/ready", () => "ok");
        app.MapPost("/api/sessions", (BareSessionRequest body) => string.IsNullOrEmpty(body.ClientId)
            ? Results.BadRequest()
            : Results.Created("/api/clients/" + body.ClientId, new BareSessionResponse(body.ClientId, self, null, 0, token, DateTimeOffset.UtcNow.AddHours(1))));
        await app.RunAsync(url);
    }

    private sealed record BareSessionRequest(string? ClientId);

    private sealed record BareNodeRef(string NodeId, string Url);

    private sealed record BareSessionResponse(string ClientId, BareNodeRef Primary, BareNodeRef? Alternate, int Bounces, string Token, DateTimeOffset TokenExpiresAt);
}

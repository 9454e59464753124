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
}

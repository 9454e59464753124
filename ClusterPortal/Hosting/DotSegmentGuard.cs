using ClusterPortal.Api;
using Microsoft.AspNetCore.Http.Features;

namespace ClusterPortal.Hosting;

/// <summary>
/// Refuses, with 400 naming <c>path</c>, any request whose target as the client sent it has a <c>.</c> or
/// <c>..</c> segment, plain or percent-encoded (<c>%2e</c>). The server removes dot segments before
/// routing, so <c>/api/clients/a/items/..</c> would otherwise land on <c>/api/clients/a/</c> and be
/// answered there: docs/architecture.md §5 — nothing is ever served for a path the client did not mean.
/// A raw <c>#</c> in the target is refused too (a request target has no fragment, RFC 9112 §3.2): the server routed
/// <c>items/a.txt#x</c> as the key <c>a.txt#x</c>, while the same request forwarded to the client's primary lost
/// <c>#x</c> as a fragment and was answered for <c>a.txt</c> — a 304 for another item's tag, found by attack. A name
/// with <c>#</c> is sent as <c>%23</c>. Runs before routing; costs one scan of the request target.
/// </summary>
internal static class DotSegmentGuard
{
    public static IApplicationBuilder UseDotSegmentGuard(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (raw is not null && raw.Contains('#'))
        {
            await Problems.Field("path", "The request target has a '#': a request carries no fragment; send a '#' that is part of a name as %23.").ExecuteAsync(http);
            return;
        }

        if (raw is not null && HasDotSegment(raw))
        {
            await Problems.Field("path", "The request path has a '.' or '..' segment (plain or percent-encoded); send the path without them.").ExecuteAsync(http);
            return;
        }

        await next(http);
    });

    /// <summary>True when the path part of <paramref name="rawTarget"/> has a segment that is <c>.</c> or <c>..</c> once <c>%2e</c> is decoded.</summary>
    internal static bool HasDotSegment(string rawTarget) => HasDotSegment(PathOf(rawTarget));

    /// <summary>The path part of a request target (before <c>?</c> or <c>#</c>).</summary>
    internal static ReadOnlySpan<char> PathOf(string rawTarget)
    {
        var path = rawTarget.AsSpan();
        var end = path.IndexOfAny('?', '#');
        return end >= 0 ? path[..end] : path;
    }

    /// <summary>True when <paramref name="path"/> has a <c>.</c> or <c>..</c> segment, plain or percent-encoded; allocates nothing.</summary>
    internal static bool HasDotSegment(ReadOnlySpan<char> path)
    {
        if (!path.Contains('.') && !path.Contains("%2e", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        foreach (var range in path.Split('/'))
        {
            if (IsDotSegment(path[range]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A segment of one or two dots, each written <c>.</c> or <c>%2e</c>.</summary>
    private static bool IsDotSegment(ReadOnlySpan<char> segment)
    {
        var dots = 0;
        for (var i = 0; i < segment.Length; dots++)
        {
            if (segment[i] == '.')
            {
                i++;
            }
            else if (segment.Length - i >= 3 && segment[i] == '%' && segment[i + 1] == '2' && (segment[i + 2] | 0x20) == 'e')
            {
                i += 3;
            }
            else
            {
                return false;
            }
        }

        return dots is 1 or 2;
    }
}

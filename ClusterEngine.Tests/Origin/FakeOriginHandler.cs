using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace ClusterEngine.Tests.Origin;

/// <summary>An HTTP origin server in a handler: serves items by path with ETags, honours If-None-Match, counts requests.</summary>
internal sealed class FakeOriginHandler : HttpMessageHandler
{
    private readonly Dictionary<string, (string Body, string? ETag, string? ContentType)> _items = new(StringComparer.Ordinal);

    public List<HttpRequestMessage> Requests { get; } = [];

    public int ConditionalRequests => Requests.Count(r => r.Headers.IfNoneMatch.Count > 0 || r.Headers.IfModifiedSince is not null);

    public HttpStatusCode? ForcedStatus { get; set; }

    public void Set(string path, string body, string? etag, string? contentType = "application/json") => _items[path] = (body, etag, contentType);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests.Add(request);
        if (ForcedStatus is { } status)
        {
            return Task.FromResult(new HttpResponseMessage(status));
        }

        if (!_items.TryGetValue(request.RequestUri!.AbsolutePath, out var item))
        {
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound));
        }

        var lastModified = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
        if ((item.ETag is not null && request.Headers.IfNoneMatch.Any(t => t.Tag == item.ETag))
            || (item.ETag is null && request.Headers.IfModifiedSince >= lastModified))
        {
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotModified));
        }

        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(item.Body)) };
        response.Content.Headers.LastModified = lastModified;
        if (item.ContentType is not null)
        {
            response.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(item.ContentType);
        }

        if (item.ETag is not null)
        {
            response.Headers.ETag = new EntityTagHeaderValue(item.ETag);
        }

        return Task.FromResult(response);
    }
}

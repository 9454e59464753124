using System.Net.Http.Headers;

namespace ClusterPortal.Tests.Api;

/// <summary>Helpers for item requests.</summary>
internal static class ItemsTestSupport
{
    public const string SequenceHeader = "X-Mirror-Sequence";

    public static string ItemPath(string clientId, string key) => $"/api/clients/{clientId}/items/{key}";

    public static HttpRequestMessage Get(string clientId, string key, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, ItemPath(clientId, key));
        foreach (var (name, value) in headers)
        {
            Assert.True(request.Headers.TryAddWithoutValidation(name, value), name);
        }

        return request;
    }

    public static string Sequence(HttpResponseMessage response) => response.Headers.GetValues(SequenceHeader).Single();

    public static string ETag(HttpResponseMessage response) => response.Headers.ETag!.ToString();

    public static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single()
        : response.Content.Headers.TryGetValues(name, out var content) ? content.Single() : null;

    public static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);
}

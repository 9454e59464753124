using System.Text.Json;
using ClusterPortal.Tests.Support;

namespace ClusterPortal.Tests.Api;

/// <summary>
/// <c>/openapi/v1.json</c> lists every answer an endpoint gives, the errors with their problem-details shape
/// (<c>application/problem+json</c>), so that generated clients handle them (issue 17).
/// </summary>
public sealed class OpenApiDocumentTests : IDisposable
{
    private readonly PortalFactory _node = new();

    public void Dispose() => _node.Dispose();

    [Theory]
    [InlineData("post", "/api/sessions", new[] { 400, 401, 403, 413, 429, 503 })]
    [InlineData("delete", "/api/sessions/{clientId}", new[] { 400, 401, 403, 404, 503 })]
    [InlineData("get", "/api/clients/{clientId}", new[] { 401, 403, 404 })]
    [InlineData("get", "/api/clients", new[] { 400, 401, 403 })]
    [InlineData("get", "/api/clients/{clientId}/items/{key}", new[] { 400, 401, 403, 404, 503 })]
    [InlineData("head", "/api/clients/{clientId}/items/{key}", new[] { 400, 401, 403, 404, 503 })]
    [InlineData("get", "/api/clients/{clientId}/mirror", new[] { 401, 403, 404 })]
    [InlineData("delete", "/api/clients/{clientId}/mirror", new[] { 401, 403, 404, 503 })]
    [InlineData("put", "/api/items/{key}", new[] { 400, 401, 403, 409, 413 })]
    [InlineData("delete", "/api/items/{key}", new[] { 400, 401, 403, 404, 409 })]
    [InlineData("get", "/api/cluster", new[] { 401, 403 })]
    [InlineData("get", "/api/nodes", new[] { 401, 403 })]
    [InlineData("post", "/api/nodes", new[] { 400, 401, 403, 409, 413, 502, 504 })]
    [InlineData("patch", "/api/nodes/{nodeId}", new[] { 400, 401, 403, 404, 413 })]
    [InlineData("delete", "/api/nodes/{nodeId}", new[] { 401, 403, 404 })]
    public async Task Every_error_answer_is_documented_as_problem_details(string method, string path, int[] statuses)
    {
        using var document = JsonDocument.Parse(await _node.Client().GetStringAsync("/openapi/v1.json"));
        var responses = document.RootElement.GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("responses");

        foreach (var status in statuses)
        {
            Assert.True(responses.TryGetProperty(status.ToString(System.Globalization.CultureInfo.InvariantCulture), out var response), $"{method} {path} does not list {status}");
            var schema = response.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema");
            Assert.Contains("ProblemDetails", schema.GetRawText(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_announce_documents_its_201_and_200_with_the_session_body()
    {
        // The announce answers through its own result type (SessionAnswer), which must describe itself as Created<T>/Ok<T> did.
        using var document = JsonDocument.Parse(await _node.Client().GetStringAsync("/openapi/v1.json"));
        var responses = document.RootElement.GetProperty("paths").GetProperty("/api/sessions").GetProperty("post").GetProperty("responses");
        foreach (var status in new[] { "201", "200" })
        {
            Assert.True(responses.TryGetProperty(status, out var response), $"post /api/sessions does not list {status}");
            var schema = response.GetProperty("content").GetProperty("application/json").GetProperty("schema");
            Assert.Contains("SessionResponse", schema.GetRawText(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Every_api_operation_lists_at_least_one_error()
    {
        using var document = JsonDocument.Parse(await _node.Client().GetStringAsync("/openapi/v1.json"));
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject().Where(p => p.Name.StartsWith("/api/", StringComparison.Ordinal)))
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                Assert.True(operation.Value.GetProperty("responses").EnumerateObject().Any(r => r.Name.StartsWith('4')), $"{operation.Name} {path.Name} lists no 4xx answer");
            }
        }
    }
}

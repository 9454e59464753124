using System.Text;

namespace ClusterPortal.Tests.Identity;

/// <summary>
/// The bad-input corpus of issue 11, item 5, generated as a table: every HTTP endpoint × every mutation kind that
/// applies to it (path values, JSON bodies, forms, credentials, forward markers). Every input here must be refused
/// or answered harmlessly: never a 500, never a hang, never a changed cluster.
/// </summary>
internal static class BadInputCorpus
{
    /// <summary>One request: method, raw request target (sent byte for byte), body and headers.</summary>
    public sealed record Input(string Kind, string Method, string Target, byte[]? Body, string[] Headers)
    {
        public override string ToString() => $"{Kind}: {Method} {(Target.Length > 120 ? Target[..120] + "…" : Target)}";
    }

    /// <summary>Who a request claims to be.</summary>
    public enum Auth
    {
        None,
        Admin,
        Client,
    }

    /// <summary>Path segment values: traversal in every encoding, control and non-ASCII characters, sizes, empties.</summary>
    public static readonly string[] BadSegments =
    [
        "..", "%2e%2e", "%2E%2E", "%252e%252e", "..%2f..%2fetc%2fpasswd", "..%5c..%5cwindows", "%2e%2e%2f%2e%2e%2f",
        "%c0%ae%c0%ae", "%c0%af", "%e2%80%a4%e2%80%a4", "%ef%bc%8e%ef%bc%8e", "..%00", "%00", "a%00b", "%09", "a%0d%0ab",
        "%7f", "%1b%5b31m", "caf%C3%A9", "%F0%9F%98%80", "%ff%fe", "%c3", "%e2%82", "%", "%zz", "%25",
        new string('a', 300), new string('b', 5000), "CON", "aux.txt", ".hidden", "~", "a%2fb", "%2f",
        "x%20", "%20", "a;b", "a?b", "%3Cscript%3E",
    ];

    /// <summary>Item keys (after <c>items/</c>; slashes allowed): traversal spread over segments and the rest.</summary>
    public static readonly string[] BadItemKeys =
    [
        "../secret.txt", "a/../../secret.txt", "%2e%2e/secret.txt", "..%2fsecret.txt", "%2e%2e%2fsecret.txt",
        "..%5csecret.txt", "..\\secret.txt", "%252e%252e%252fsecret.txt", "%c0%ae%c0%ae/secret.txt", "./.", "a//b",
        "/etc/passwd", "%2fetc%2fpasswd", "C:%5cwindows", "a/%00/b", "new%0aline.txt", "tab%09.txt",
        ".x.0123456789abcdef0123456789abcdef.tmp", "news", "news/", new string('k', 300) + ".txt",
        new string('k', 5000) + ".txt", "%F0%9F%98%80/..",
    ];

    /// <summary>JSON bodies of the wrong shape: wrong types, invalid, huge, deep, control and non-ASCII characters.</summary>
    public static IEnumerable<(string Name, byte[] Body, string ContentType)> BadJsonBodies(string field)
    {
        static byte[] U(string s) => Encoding.UTF8.GetBytes(s);
        const string json = "application/json";
        yield return ("empty", [], json);
        yield return ("null", U("null"), json);
        yield return ("array", U("[]"), json);
        yield return ("string", U("\"x\""), json);
        yield return ("number", U("5"), json);
        yield return ("invalid", U("{\"" + field + "\":"), json);
        yield return ("trailing garbage", U("{\"" + field + "\":\"a\"}}}"), json);
        yield return ("field negative", U("{\"" + field + "\":-5}"), json);
        yield return ("field object", U("{\"" + field + "\":{}}"), json);
        yield return ("field array", U("{\"" + field + "\":[1,2]}"), json);
        yield return ("field true", U("{\"" + field + "\":true}"), json);
        yield return ("field huge number", U("{\"" + field + "\":1e400}"), json);
        yield return ("field control", U("{\"" + field + "\":\"a\\u0000b\\u0007\"}"), json);
        yield return ("field traversal", U("{\"" + field + "\":\"../../etc/passwd\"}"), json);
        yield return ("field non-ASCII", U("{\"" + field + "\":\"caf\u00e9\u202e\"}"), json);
        yield return ("field lone surrogate", U("{\"" + field + "\":\"\\ud800\"}"), json);
        yield return ("invalid UTF-8", [.. U("{\"" + field + "\":\""), 0xff, 0xfe, .. U("\"}")], json);
        yield return ("deep", U(new string('[', 10_000) + new string(']', 10_000)), json);
        yield return ("deep object", U(string.Concat(Enumerable.Repeat("{\"a\":", 5_000)) + "1" + new string('}', 5_000)), json);
        yield return ("2 MB string", U("{\"" + field + "\":\"" + new string('z', 2 * 1024 * 1024) + "\"}"), json);
        yield return ("text/plain", U("{\"" + field + "\":\"a\"}"), "text/plain");
        yield return ("form", U(field + "=a"), "application/x-www-form-urlencoded");
    }

    /// <summary>Authorization headers that are wrong: missing, malformed, other schemes, forged tokens, control characters.</summary>
    public static readonly string[][] BadAuthorizations =
    [
        [], ["Authorization: Bearer"], ["Authorization: Bearer x"], ["Authorization: Bearer " + new string('t', 8000)],
        ["Authorization: Basic YWRtaW46YWRtaW4="], ["Authorization: Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0."],
        ["X-Admin-Key: wrong"], ["X-Admin-Key: " + new string('k', 8000)], ["X-Admin-Key: \u00e9\u00e9"],
        ["Authorization: Bearer a\u00ff"], ["X-Admin-Key: "], ["Cookie: .AspNetCore.Cookies=forged"],
    ];

    /// <summary>The corpus: every endpoint × the mutations that apply to it.</summary>
    public static List<Input> Build(Func<Auth, string[]> auth, string clientId, string otherNodeId)
    {
        var inputs = new List<Input>();
        void Add(string kind, string method, string target, Auth who, byte[]? body = null, string? contentType = null, params string[] extra)
        {
            string[] headers = [.. auth(who), .. contentType is null ? [] : new[] { "Content-Type: " + contentType }, .. extra];
            inputs.Add(new Input(kind, method, target, body, headers));
        }

        // Path values in every route parameter.
        foreach (var s in BadSegments)
        {
            Add("client id (bearer)", "GET", $"/api/clients/{s}", Auth.Client);
            Add("client id (admin)", "GET", $"/api/clients/{s}", Auth.Admin);
            Add("item client id", "GET", $"/api/clients/{s}/items/hello.txt", Auth.Client);
            Add("mirror client id", "GET", $"/api/clients/{s}/mirror", Auth.Admin);
            Add("mirror clear client id", "DELETE", $"/api/clients/{s}/mirror", Auth.Admin);
            Add("log off client id", "DELETE", $"/api/sessions/{s}", Auth.Client);
            Add("node id", "PATCH", $"/api/nodes/{s}", Auth.Admin, Encoding.UTF8.GetBytes("{\"mode\":\"Active\"}"), "application/json");
            Add("node id", "DELETE", $"/api/nodes/{s}", Auth.Admin);
        }

        foreach (var k in BadItemKeys)
        {
            Add("item key", "GET", $"/api/clients/{clientId}/items/{k}", Auth.Client);
            Add("item key (HEAD)", "HEAD", $"/api/clients/{clientId}/items/{k}", Auth.Client);
            Add("origin key", "PUT", $"/api/items/{k}", Auth.Admin, Encoding.UTF8.GetBytes("x"), "text/plain");
            Add("origin key", "DELETE", $"/api/items/{k}", Auth.Admin);
        }

        // JSON bodies at every JSON endpoint.
        foreach (var (name, body, type) in BadJsonBodies("clientId"))
        {
            Add("announce body " + name, "POST", "/api/sessions", Auth.None, body, type);
        }

        foreach (var (name, body, type) in BadJsonBodies("capacity"))
        {
            Add("add node body " + name, "POST", "/api/nodes", Auth.Admin, body, type);
            Add("update node body " + name, "PATCH", $"/api/nodes/{otherNodeId}", Auth.Admin, body, type);
        }

        foreach (var body in new[] { "{\"capacity\":0}", "{\"capacity\":-1}", "{\"capacity\":2147483648}", "{\"capacity\":10000001}", "{\"mode\":\"Bogus\"}", "{\"mode\":99}", "{\"capacity\":1.5}", "{\"name\":\"" + new string('n', 5000) + "\"}" })
        {
            Add("update node value", "PATCH", $"/api/nodes/{otherNodeId}", Auth.Admin, Encoding.UTF8.GetBytes(body), "application/json");
            Add("add node value", "POST", "/api/nodes", Auth.Admin, Encoding.UTF8.GetBytes(body.TrimEnd('}') + ",\"nodeId\":\"n-x\",\"url\":\"http://127.0.0.1:1\"}"), "application/json");
        }

        // Wrong credentials at every protected endpoint, writing ones included.
        string[][] protectedRoutes =
        [
            ["GET", "/api/cluster"], ["GET", "/api/nodes"], ["GET", "/api/clients"], ["GET", $"/api/clients/{clientId}"],
            ["GET", $"/api/clients/{clientId}/items/hello.txt"], ["DELETE", $"/api/sessions/{clientId}"],
            ["DELETE", $"/api/clients/{clientId}/mirror"], ["PUT", "/api/items/hello.txt"], ["DELETE", "/api/items/hello.txt"],
            ["POST", "/api/nodes"], ["PATCH", $"/api/nodes/{otherNodeId}"], ["DELETE", $"/api/nodes/{otherNodeId}"],
        ];
        foreach (var route in protectedRoutes)
        {
            foreach (var headers in BadAuthorizations)
            {
                var writes = route[0] is "PUT" or "POST" or "PATCH";
                var extra = route[1].StartsWith("/api/cluster", StringComparison.Ordinal) || route[1] == "/api/nodes" || route[1] == "/api/clients"
                    ? headers.Append("X-Forwarded-For: 203.0.113.9").ToArray() : headers;
                inputs.Add(new Input("credential " + string.Join(' ', headers.Select(h => h.Length > 30 ? h[..30] : h)), route[0], route[1],
                    writes ? Encoding.UTF8.GetBytes("{\"capacity\":5,\"nodeId\":\"n-y\",\"url\":\"http://127.0.0.1:2\"}") : null,
                    writes ? [.. extra, "Content-Type: application/json"] : extra));
            }
        }

        // Forms: login and logout with bad fields.
        string[] forms =
        [
            "", "key=", "key=wrong", "key=wrong&returnUrl=%2F%09nodes", "returnUrl=http%3A%2F%2Fevil.example%2F", "key=wrong&returnUrl=%2F%2Fevil.example",
            "key=wrong&returnUrl=%00", "key=" + new string('k', 100_000), "key=%ff%fe", "key=a&key=b", "returnUrl=" + new string('%', 10), "%%%",
        ];
        foreach (var form in forms)
        {
            Add("login form", "POST", "/account/login", Auth.None, Encoding.UTF8.GetBytes(form), "application/x-www-form-urlencoded");
            Add("logout form (no antiforgery)", "POST", "/account/logout", Auth.Admin, Encoding.UTF8.GetBytes(form), "application/x-www-form-urlencoded");
        }

        Add("login multipart garbage", "POST", "/account/login", Auth.None, Encoding.UTF8.GetBytes("--x\r\nbroken"), "multipart/form-data; boundary=x");
        Add("login JSON", "POST", "/account/login", Auth.None, Encoding.UTF8.GetBytes("{\"key\":1}"), "application/json");
        return inputs;
    }
}

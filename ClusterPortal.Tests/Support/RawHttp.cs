using System.Net.Sockets;
using System.Text;

namespace ClusterPortal.Tests.Support;

/// <summary>
/// Sends one HTTP/1.1 request with the request target exactly as given (HttpClient and Uri would normalise
/// dot segments and escapes), for traversal tests.
/// </summary>
public static class RawHttp
{
    public sealed record RawResponse(int Status, string Head, byte[] Body);

    public static Task<RawResponse> SendAsync(Uri baseAddress, string method, string target, params string[] headers) =>
        SendAsync(baseAddress, method, target, body: null, headers);

    /// <summary>As above with a body (sent with its <c>Content-Length</c>; the caller adds the <c>Content-Type</c>).</summary>
    public static async Task<RawResponse> SendAsync(Uri baseAddress, string method, string target, byte[]? body, params string[] headers)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(baseAddress.Host, baseAddress.Port);
        await using var stream = tcp.GetStream();
        var request = new StringBuilder()
            .Append(method).Append(' ').Append(target).Append(" HTTP/1.1\r\n")
            .Append("Connection: close\r\n");
        if (!headers.Any(h => h.StartsWith("Host:", StringComparison.OrdinalIgnoreCase)))
        {
            request.Append("Host: ").Append(baseAddress.Authority).Append("\r\n"); // unless the caller sends its own
        }

        foreach (var header in headers)
        {
            request.Append(header).Append("\r\n");
        }

        if (body is not null)
        {
            request.Append("Content-Length: ").Append(body.Length).Append("\r\n");
        }

        request.Append("\r\n");
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request.ToString()));
        if (body is not null)
        {
            await stream.WriteAsync(body);
        }

        using var buffer = new MemoryStream();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await stream.CopyToAsync(buffer, cts.Token);
        var bytes = buffer.ToArray();
        var text = Encoding.Latin1.GetString(bytes);
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = split < 0 ? text : text[..split];
        var status = int.Parse(head.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        return new RawResponse(status, head, split < 0 ? [] : bytes[(split + 4)..]);
    }
}

using System.Net;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace ClusterPortal.Client;

/// <summary>Sending with failover: primary, then alternate, then the shared address, with Polly retries.</summary>
public sealed partial class ClusterClient
{
    /// <summary>One answered attempt: the response and the node base URL (index into the target list) that answered.</summary>
    private sealed record Answer(HttpResponseMessage Response, int TargetIndex) : IDisposable
    {
        public void Dispose() => Response.Dispose();
    }

    private static ResiliencePipeline<HttpResponseMessage> BuildPipeline(ClusterClientOptions options, ClientCounters counters) =>
        new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddTimeout(options.OperationTimeout)
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(r => IsTransient(r.StatusCode)),
                MaxRetryAttempts = Math.Max(1, options.MaxRetryAttempts),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.RetryMaxDelay,
                OnRetry = _ =>
                {
                    counters.Retry();
                    return default;
                },
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();

    private static bool IsTransient(HttpStatusCode status) => status is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable
        or HttpStatusCode.GatewayTimeout or HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

    /// <summary>
    /// The nodes to try, in order: the session's primary, its alternate, then every shared address (patent Fig. 6: any
    /// node of the shared address forwards to whoever serves the client now).
    /// Attempt <c>n</c> goes to target <c>n mod count</c>.
    /// </summary>
    private List<Uri> Targets(ClientSession? session, Uri? first = null)
    {
        var targets = new List<Uri>();
        void Add(Uri? url)
        {
            if (url is not null && !targets.Contains(url))
            {
                targets.Add(url);
            }
        }

        Add(first);
        Add(session?.Primary.Url);
        Add(session?.Alternate?.Url);
        foreach (var url in Volatile.Read(ref _resolvedAddress))
        {
            Add(url);
        }

        return targets;
    }

    /// <summary>Resolves the shared address again when its names are due (cheap otherwise): see <see cref="SharedAddressResolver"/>.</summary>
    private async Task ResolveSharedAddressAsync(CancellationToken cancellationToken)
    {
        if (_resolver is not null)
        {
            Volatile.Write(ref _resolvedAddress, await _resolver.ResolveAsync(_sharedAddress, ClientId, cancellationToken));
        }
    }

    /// <summary>Sends the request built by <paramref name="build"/> for each attempt, moving to the next target after each failure.</summary>
    /// <exception cref="ClusterClientException">No node gave an answer within the retries.</exception>
    private async Task<Answer> SendAsync(IReadOnlyList<Uri> targets, Func<Uri, HttpRequestMessage> build, CancellationToken cancellationToken)
    {
        var attempt = -1;
        var answeredBy = 0;
        try
        {
            var response = await _pipeline.ExecuteAsync(async token =>
            {
                var index = Interlocked.Increment(ref attempt) % targets.Count;
                Volatile.Write(ref answeredBy, index);
                using var request = build(targets[index]);
                if (_options.Http2Port is { } port)
                {
                    // Portal:Http2Port: the same node, HTTP/2 with prior knowledge (no upgrade round trip).
                    request.RequestUri = new UriBuilder(request.RequestUri!) { Port = port }.Uri;
                    request.Version = System.Net.HttpVersion.Version20;
                    request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
                }

                try
                {
                    var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, token);
                    _resolver?.ReportSuccess(targets[index]);
                    return response;
                }
                catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    _resolver?.ReportFailure(targets[index]); // no answer: tried last for a while, and its name resolved again once all failed
                    throw;
                }
            }, cancellationToken);
            return new Answer(response, Volatile.Read(ref answeredBy));
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException && !cancellationToken.IsCancellationRequested)
        {
            throw new ClusterClientException($"No node of the cluster answered after {attempt + 1} attempt(s): {ex.Message}", ex);
        }
    }

    private static Uri Endpoint(Uri node, string relative) => new($"{node.AbsoluteUri.TrimEnd('/')}/{relative}");
}

using System.Globalization;
using System.Threading.RateLimiting;
using ClusterPortal.Hosting;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Security;

/// <summary>
/// Throttles guessing of the admin key per remote address (docs/identity.md, "Smaller inputs"): every wrong <c>X-Admin-Key</c> and every
/// failed login takes a permit of a fixed-window limiter of that address (<c>Portal:AuthFailureLimit</c> per
/// <c>Portal:AuthFailureWindow</c>, ASP.NET Core's <see cref="PartitionedRateLimiter"/>); once they are used up, any request
/// of that address that presents an admin key or posts the login form is answered 429 with <c>Retry-After</c> before the
/// key is even compared, until the window ends. Right keys cost nothing.
/// </summary>
internal sealed class AuthFailureThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _failures;

    public AuthFailureThrottle(IOptions<PortalOptions> options)
    {
        var o = options.Value;
        _failures = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = o.AuthFailureLimit,
            Window = o.AuthFailureWindow,
            QueueLimit = 0,
        }));
    }

    /// <summary>The address a request is counted under.</summary>
    public static string AddressOf(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "local";

    /// <summary>Records a wrong admin key or a failed login from <paramref name="address"/>.</summary>
    public void Failed(string address) => _failures.AttemptAcquire(address).Dispose();

    /// <summary>True (with how long to wait) when <paramref name="address"/> used up its failures for the current window.</summary>
    public bool IsThrottled(string address, out TimeSpan retryAfter)
    {
        using var probe = _failures.AttemptAcquire(address, 0); // 0 permits: asks whether any is left, takes none
        retryAfter = TimeSpan.Zero;
        if (probe.IsAcquired)
        {
            return false;
        }

        if (!probe.TryGetMetadata(MetadataName.RetryAfter, out retryAfter))
        {
            retryAfter = TimeSpan.FromSeconds(1);
        }

        return true;
    }

    public void Dispose() => _failures.Dispose();
}

/// <summary>The middleware of <see cref="AuthFailureThrottle"/>: runs before authentication.</summary>
internal static class AuthFailureThrottleMiddleware
{
    public static IApplicationBuilder UseAuthFailureThrottle(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var presentsKey = http.Request.Headers.ContainsKey(AuthSchemes.AdminKeyHeader)
            || (HttpMethods.IsPost(http.Request.Method) && http.Request.Path.Equals(AdminLoginApi.LoginPath, StringComparison.OrdinalIgnoreCase));
        if (presentsKey && http.RequestServices.GetRequiredService<AuthFailureThrottle>().IsThrottled(AuthFailureThrottle.AddressOf(http), out var retryAfter))
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails =
                {
                    Status = StatusCodes.Status429TooManyRequests,
                    Title = "Too many failed admin logins",
                    Detail = $"Too many wrong admin keys or failed logins from this address (Portal:AuthFailureLimit per Portal:AuthFailureWindow); retry in {seconds} s.",
                },
            });
            return;
        }

        await next(http);
    });
}

using System.Net;
using System.Threading.RateLimiting;
using ClusterPortal.Api;
using ClusterPortal.Client.Contract;
using ClusterPortal.Components;
using ClusterPortal.Dashboard;
using ClusterPortal.Jobs;
using ClusterPortal.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MudBlazor.Services;

namespace ClusterPortal.Hosting;

/// <summary>Composition of one portal node: engine, security, problem details, limits, UI.</summary>
internal static class PortalServiceCollectionExtensions
{
    /// <summary>Name of the rate-limiter policy on <c>POST /api/sessions</c>.</summary>
    public const string SessionRatePolicy = "sessions";

    /// <summary>
    /// What the host's shutdown timeout allows after the graceful leave and Hangfire's stop: the persistence writer's drain
    /// (a batch or two; milliseconds when the database is there) and the other services' stops. The timeout is
    /// <c>LeaveBudget + StopBudget + ShutdownTail</c>, 19 s with the defaults (docs/recovery.md).
    /// </summary>
    public static readonly TimeSpan ShutdownTail = TimeSpan.FromSeconds(3);

    public static WebApplicationBuilder AddClusterPortal(this WebApplicationBuilder builder)
    {
        // Run from a build folder (dotnet run, bin/…), MapStaticAssets watches wwwroot for files added after the build and
        // maps a fallback route "{**path:file}" whose constraint asks the file system about every request path whose last
        // segment has a dot: each item GET such as ".../items/hello.txt" cost a stat call and about 3 µs (README, "Where the
        // microseconds go"). A node serves the assets its build listed, as a published node does; the lowest-precedence
        // default leaves ReloadStaticAssetsAtRuntime=true to an operator who wants it.
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = [new("ReloadStaticAssetsAtRuntime", "false")],
        });

        var services = builder.Services;
        services.AddOptions<PortalOptions>().Bind(builder.Configuration.GetSection(PortalOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PortalOptions>, PortalOptionsValidator>());
        services.AddOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>()
            .Configure<IOptions<PortalOptions>>((kestrel, portal) =>
            {
                kestrel.Limits.MaxRequestBodySize = portal.Value.MaxRequestBodyBytes;
                kestrel.AddServerHeader = false; // 17 bytes on every answer; our users pay per byte
            });

        builder.AddHttp2Endpoint();
        services.AddHostedService<AdvertisedUrlRegistration>();
        services.AddHostedService<StartupSummary>();
        services.AddSingleton<NodeLockWatch>();
        services.AddHostedService(sp => sp.GetRequiredService<NodeLockWatch>());
        builder.Logging.AddOperatorConsole(builder.Configuration);
        // SignalR logs every exception out of a hub method at Error, refusals of a not-yet-admitted restarted member
        // included (a burst at every restart); the backplane's own filter logs what matters (Hubs.BackplaneAdmission).
        builder.Logging.AddFilter("Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher", LogLevel.Critical);
        services.ConfigureHttpJsonOptions(json => ContractJson.Configure(json.SerializerOptions));
        services.AddProblemDetails(problems => problems.CustomizeProblemDetails = context =>
        {
            AuthAnswers.AddDetail(context);
            UnsupportedMediaType.AddDetail(context);
            ProblemTypes.AddType(context);
        });
        services.AddExceptionHandler<BadHttpRequestExceptionHandler>();
        // Binding failures (a body that is not the expected JSON, a query value of the wrong type) reach that handler
        // in every environment, so the 400 names the field (by default only Development throws them).
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddSecurity();
        services.AddNodeDataProtection(builder.Configuration);
        services.AddObservability(builder.Configuration);
        services.AddSessionRateLimit();
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddSignalR(hub => hub.MaximumReceiveMessageSize = 1024 * 1024)
            .AddHubOptions<Hubs.BackplaneHub>(hub =>
            {
                hub.MaximumReceiveMessageSize = 1024 * 1024;
                Microsoft.AspNetCore.SignalR.HubOptionsExtensions.AddFilter<Hubs.BackplaneAdmission>(hub); // only members call (docs/identity.md)
            });

        // The hub end of the backplane pings and times out like the peers' client end.
        services.AddOptions<Microsoft.AspNetCore.SignalR.HubOptions<Hubs.BackplaneHub>>().Configure<IOptions<ClusterEngine.ClusterOptions>>((hub, cluster) =>
        {
            hub.KeepAliveInterval = cluster.Value.PeerKeepAliveInterval;
            hub.ClientTimeoutInterval = cluster.Value.PeerServerTimeout;
        });
        services.AddSingleton<Hubs.BackplaneAdmission>();
        services.AddSingleton<Hubs.BackplaneConnections>();
        services.AddHostedService(sp => sp.GetRequiredService<Hubs.BackplaneConnections>());
        services.AddOptions<HostOptions>().Configure<IOptions<ClusterEngine.ClusterOptions>>((host, cluster) =>
        {
            // The graceful leave runs first, in the stopping phase, and may take its whole budget; the hosted services'
            // stops come after it within the same timeout: Hangfire's server (waited for at most its StopBudget), then
            // the persistence writer's drain and the rest (ShutdownTail). With a fixed 10 s a slow leave left them
            // nothing, and with the leave's budget + 5 s an unbounded Hangfire stop overran it (CI, four nodes at once).
            host.ShutdownTimeout = cluster.Value.LeaveBudget + Jobs.JobsServiceCollectionExtensions.StopBudget + ShutdownTail;

            // No background loop may stop the node (docs/identity.md, "Operator input"): each logs a failed iteration and retries; should one
            // still end with an error, the host logs it and keeps serving instead of stopping every node of the cluster.
            host.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore;
        });
        services.AddClusterEngine(builder.Configuration)
            .AddPersistence(builder.Configuration)
            .AddDataPath(builder.Configuration, Path.Combine(AppContext.BaseDirectory, "SampleContent"))
            .AddBackplane()
            .AddMirrorSync();
        services.AddMirrorSyncJobs();
        services.AddHttpForwarder();
        services.AddSingleton<ItemForwarder>();
        services.AddSingleton<ClientRouter>();
        services.AddSingleton<ItemRepresentation>();
        services.AddMudServices();
        services.AddDashboard();
        services.AddSingleton<Simulation.SimulationRunner>();
        return builder;
    }

    private static void AddSecurity(this IServiceCollection services)
    {
        services.AddSingleton<ClientTokenService>();
        services.AddSingleton<ClientTokenGate>();
        services.AddSingleton<AuthFailureThrottle>();
        services.AddTransient<PortalAuthenticationHandler>();
        services.AddAuthentication(o =>
            {
                o.AddScheme<PortalAuthenticationHandler>(AuthSchemes.Default, null);
                o.DefaultScheme = AuthSchemes.Default;
            })
            .AddCookie(AuthSchemes.AdminCookie, AdminCookie.Configure)
            .AddScheme<AuthenticationSchemeOptions, ClientTokenAuthenticationHandler>(AuthSchemes.ClientToken, null)
            .AddScheme<AuthenticationSchemeOptions, AdminKeyAuthenticationHandler>(AuthSchemes.AdminKey, null)
            .AddScheme<AuthenticationSchemeOptions, PeerAuthenticationHandler>(AuthSchemes.Peer, null);
        services.AddSingleton<IAuthorizationHandler, ClientAccessHandler>();
        services.AddSingleton<IAuthorizationHandler, ViewerHandler>();
        services.AddAuthorizationBuilder()
            .AddPolicy(AuthSchemes.AdminPolicy, p => p.AddAuthenticationSchemes(AuthSchemes.AdminKey, AuthSchemes.AdminCookie).RequireRole("admin"))
            // The default scheme already chose the client token (Authorization) or the admin key by the request's headers and
            // authenticated it once in UseAuthentication; naming schemes here would authenticate them again per request.
            .AddPolicy(AuthSchemes.ClientPolicy, p => p.AddRequirements(new ClientAccessRequirement()))
            .AddPolicy(AuthSchemes.PeerPolicy, p => p.AddAuthenticationSchemes(AuthSchemes.Peer).RequireRole("peer"))
            .AddPolicy(AuthSchemes.ViewerPolicy, p => p.AddAuthenticationSchemes(AuthSchemes.AdminKey, AuthSchemes.AdminCookie).AddRequirements(new ViewerRequirement()));
    }

    private static void AddSessionRateLimit(this IServiceCollection services)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = async (context, token) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retry))
                {
                    context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retry.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                var problems = context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>();
                await problems.WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context.HttpContext,
                    ProblemDetails = { Status = 429, Title = "Too many session requests", Detail = "Portal:SessionRateLimit was exceeded for this address; retry later." },
                });
            };
        });

        // Portal:SessionRateLimit announces a second per remote address. The window's options and the partition factory are
        // built once: the partitioner runs on every announce, and reading the options from the request's services, the address
        // as a string and a new factory per call cost a request service scope and four objects each time.
        services.AddOptions<Microsoft.AspNetCore.RateLimiting.RateLimiterOptions>().Configure<IOptions<PortalOptions>>((limiter, portal) =>
        {
            var window = new FixedWindowRateLimiterOptions { PermitLimit = portal.Value.SessionRateLimit, Window = TimeSpan.FromSeconds(1), QueueLimit = 0,
                AutoReplenishment = false }; // the partitioned limiter's one timer replenishes every partition, as GetFixedWindowLimiter arranges
            Func<IPAddress, RateLimiter> limiterOf = _ => new FixedWindowRateLimiter(window);
            limiter.AddPolicy(SessionRatePolicy, http => new RateLimitPartition<IPAddress>(http.Connection.RemoteIpAddress ?? IPAddress.None, limiterOf));
        });
    }

    public static WebApplication UseClusterPortal(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseDotSegmentGuard();
        app.UseStatusCodePages();
        app.UseAuthFailureThrottle();
        app.UseRateLimiter(); // by remote address, before credentials are looked at: one limiter for every request
        app.UseCredentialChecks(); // authentication and authorization; ClientTokenGate lets requests they would pass skip them
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapObservability();
        app.MapClusterApi();
        app.MapHub<Hubs.BackplaneHub>("/hubs/backplane");
        app.MapDashboardHubs();
        app.MapAdminLogin();
        app.MapJobsDashboard();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode().RequireAuthorization(AuthSchemes.ViewerPolicy);
        return app;
    }
}

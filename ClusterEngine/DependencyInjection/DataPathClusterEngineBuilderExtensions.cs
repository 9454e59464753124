using ClusterEngine.DependencyInjection;
using ClusterEngine.Deltas;
using ClusterEngine.Mirroring;
using ClusterEngine.Origin;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the data path of a node: origin, origin cache, cache mirrors, kept item versions for deltas.</summary>
public static class DataPathClusterEngineBuilderExtensions
{
    /// <summary>
    /// Binds and validates <c>Origin</c> and <c>Mirror</c>; registers the origin chosen by
    /// <c>Origin:Kind</c> (file system, or HTTP through HttpClientFactory with the standard resilience
    /// handler), the bounded <see cref="OriginCache"/>, the <see cref="CacheMirror"/> with its persisting
    /// <see cref="MirrorStore"/>, a no-op <see cref="IItemChangeNotifier"/> (the backplane may replace it) and the
    /// observer that drops a client's mirror when this node loses both its roles for it; binds and validates <c>Delta</c>
    /// and registers the <see cref="ItemVersionStore"/> and <see cref="DeltaEncoder"/> (RFC 9842 deltas).
    /// </summary>
    /// <param name="builder">The engine builder.</param>
    /// <param name="configuration">Root configuration.</param>
    /// <param name="defaultRoot">File-system root when <c>Origin:Root</c> is unset (the shipped sample content).</param>
    public static ClusterEngineBuilder AddDataPath(this ClusterEngineBuilder builder, IConfiguration configuration, string? defaultRoot = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<OriginOptions>().Bind(configuration.GetSection(OriginOptions.SectionName))
            .PostConfigure(o => o.Root ??= defaultRoot).ValidateOnStart();
        services.AddOptions<MirrorOptions>().Bind(configuration.GetSection(MirrorOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OriginOptions>, OriginOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MirrorOptions>, MirrorOptionsValidator>());
        services.AddOptions<DeltaOptions>().Bind(configuration.GetSection(DeltaOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DeltaOptions>, DeltaOptionsValidator>());
        services.TryAddSingleton<ItemVersionStore>();
        services.TryAddSingleton<DeltaEncoder>();
        services.AddHttpClient<HttpOrigin>((sp, http) => http.BaseAddress = sp.GetRequiredService<IOptions<OriginOptions>>().Value.BaseUrl)
            .AddStandardResilienceHandler();
        services.TryAddSingleton<FileSystemOrigin>();
        services.TryAddSingleton<IItemOrigin>(sp => sp.GetRequiredService<IOptions<OriginOptions>>().Value.Kind == OriginKind.Http
            ? sp.GetRequiredService<HttpOrigin>()
            : sp.GetRequiredService<FileSystemOrigin>());
        services.TryAddSingleton<OriginCache>();
        services.TryAddSingleton<CacheMirror>();
        services.TryAddSingleton<MirrorStore>();
        services.TryAddSingleton<IItemChangeNotifier, NullItemChangeNotifier>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ClusterEngine.Changes.IClusterChangeObserver, MirrorRoleObserver>());
        return builder;
    }
}

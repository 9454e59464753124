using Microsoft.Extensions.DependencyInjection;

namespace ClusterEngine.DependencyInjection;

/// <summary>Returned by <c>AddClusterEngine</c> so hosts can add the engine's optional parts.</summary>
/// <param name="Services">The service collection being configured.</param>
public sealed record ClusterEngineBuilder(IServiceCollection Services);

namespace ClusterEngine.Persistence.Model;

/// <summary>
/// Row of table <c>StoreFacts</c>: one fact about the store itself, by name — today only
/// <see cref="StoreOwner.FingerprintFact"/>, which cluster key the store was written with (<see cref="StoreOwner"/>).
/// </summary>
public sealed class StoreFactRow
{
    /// <summary>The fact's name (primary key).</summary>
    public string Name { get; set; } = "";

    /// <summary>Its value.</summary>
    public string Value { get; set; } = "";
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace ClusterPortal.Client.Contract;

/// <summary>
/// JSON of the wire contract: camelCase property names, case-insensitive reading, numbers as numbers, enums as
/// their names (<see cref="JsonSerializerDefaults.Web"/> plus <see cref="JsonStringEnumConverter"/>). The node
/// configures its answers with <see cref="Configure"/>, the SDK reads them with <see cref="Options"/>.
/// </summary>
public static class ContractJson
{
    /// <summary>Options for reading and writing contract bodies (read-only).</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>Adds the contract's settings beyond <see cref="JsonSerializerDefaults.Web"/> to <paramref name="options"/>.</summary>
    /// <param name="options">Options that start from the web defaults (as ASP.NET Core's do).</param>
    public static void Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Converters.Add(new JsonStringEnumConverter());
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Configure(options);
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

using Microsoft.Extensions.Options;

namespace ClusterEngine.Origin;

/// <summary>Validates <see cref="OriginOptions"/>; each failure names its configuration key and the bad value.</summary>
internal sealed class OriginOptionsValidator : IValidateOptions<OriginOptions>
{
    internal const long MaxCacheBytes = 16L * 1024 * 1024 * 1024;
    internal const long MaxItemBytesLimit = 1024L * 1024 * 1024;
    internal static readonly TimeSpan MaxRevalidateInterval = TimeSpan.FromHours(1);

    public ValidateOptionsResult Validate(string? name, OriginOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        switch (options.Kind)
        {
            case OriginKind.FileSystem when string.IsNullOrWhiteSpace(options.Root):
                failures.Add("Origin:Root is required when Origin:Kind is FileSystem");
                break;
            case OriginKind.FileSystem when !Directory.Exists(options.Root):
                failures.Add($"Origin:Root must be an existing directory (was '{options.Root}')");
                break;
            case OriginKind.Http when options.BaseUrl is not { IsAbsoluteUri: true } url || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps):
                failures.Add($"Origin:BaseUrl must be an absolute http or https URL when Origin:Kind is Http (was '{options.BaseUrl}')");
                break;
            case OriginKind.FileSystem or OriginKind.Http:
                break;
            default:
                failures.Add($"Origin:Kind must be one of {string.Join(", ", Enum.GetNames<OriginKind>())} (was {options.Kind})");
                break;
        }

        if (options.CacheBytes is < 0 or > MaxCacheBytes)
        {
            failures.Add($"Origin:CacheBytes must be between 0 and {MaxCacheBytes} (was {options.CacheBytes})");
        }

        if (options.RevalidateInterval < TimeSpan.Zero || options.RevalidateInterval > MaxRevalidateInterval)
        {
            failures.Add($"Origin:RevalidateInterval must be between 00:00:00 and {MaxRevalidateInterval} (was {options.RevalidateInterval})");
        }

        if (options.MaxItemBytes is < 1 or > MaxItemBytesLimit)
        {
            failures.Add($"Origin:MaxItemBytes must be between 1 and {MaxItemBytesLimit} (was {options.MaxItemBytes})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

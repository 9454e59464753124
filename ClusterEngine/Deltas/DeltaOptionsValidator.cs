using Microsoft.Extensions.Options;

namespace ClusterEngine.Deltas;

/// <summary>Validates <see cref="DeltaOptions"/>; each failure names its configuration key and the bad value.</summary>
internal sealed class DeltaOptionsValidator : IValidateOptions<DeltaOptions>
{
    internal const int MaxVersionsLimit = 64;
    internal const long MaxBytesLimit = 16L * 1024 * 1024 * 1024;
    internal const int MaxItemBytesLimit = 16 * 1024 * 1024;
    internal static readonly TimeSpan MinDictionaryLifetime = TimeSpan.FromSeconds(1);
    internal static readonly TimeSpan MaxDictionaryLifetime = TimeSpan.FromDays(365);

    public ValidateOptionsResult Validate(string? name, DeltaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.MaxVersionsPerItem is < 1 or > MaxVersionsLimit)
        {
            failures.Add($"Delta:MaxVersionsPerItem must be between 1 and {MaxVersionsLimit} (was {options.MaxVersionsPerItem})");
        }

        if (options.MaxBytes is < 0 or > MaxBytesLimit)
        {
            failures.Add($"Delta:MaxBytes must be between 0 and {MaxBytesLimit} bytes (was {options.MaxBytes})");
        }

        if (options.MaxItemBytes is < 1 or > MaxItemBytesLimit)
        {
            failures.Add($"Delta:MaxItemBytes must be between 1 and {MaxItemBytesLimit} bytes (was {options.MaxItemBytes})");
        }

        if (options.DictionaryLifetime < MinDictionaryLifetime || options.DictionaryLifetime > MaxDictionaryLifetime)
        {
            failures.Add($"Delta:DictionaryLifetime must be between {MinDictionaryLifetime} and {MaxDictionaryLifetime} (was {options.DictionaryLifetime})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

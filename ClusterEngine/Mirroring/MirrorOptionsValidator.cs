using Microsoft.Extensions.Options;

namespace ClusterEngine.Mirroring;

/// <summary>Validates <see cref="MirrorOptions"/>; each failure names its configuration key and the bad value.</summary>
internal sealed class MirrorOptionsValidator : IValidateOptions<MirrorOptions>
{
    /// <summary>
    /// The most entries a client's mirror may hold: 4,096. A mirror is an array searched linearly and stored as one row
    /// rewritten on every change (docs/persistence.md), so its cost per request and per change grows with this bound
    /// (about 1 µs per thousand entries per look-up; about 200 KB written per change of a full mirror at 4,096).
    /// </summary>
    internal const int MaxEntriesLimit = 4_096;
    internal const int SyncEveryLimit = 1_000_000;
    internal static readonly TimeSpan MinSyncInterval = TimeSpan.FromMilliseconds(100);
    internal static readonly TimeSpan MaxSyncInterval = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, MirrorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!Enum.IsDefined(options.SyncPolicy))
        {
            failures.Add($"Mirror:SyncPolicy must be one of {string.Join(", ", Enum.GetNames<MirrorSyncPolicy>())} (was {options.SyncPolicy})");
        }

        if (options.SyncEvery is < 1 or > SyncEveryLimit)
        {
            failures.Add($"Mirror:SyncEvery must be between 1 and {SyncEveryLimit} (was {options.SyncEvery})");
        }

        if (options.SyncInterval < MinSyncInterval || options.SyncInterval > MaxSyncInterval)
        {
            failures.Add($"Mirror:SyncInterval must be between {MinSyncInterval} and {MaxSyncInterval} (was {options.SyncInterval})");
        }

        if (options.MaxEntriesPerClient is < 1 or > MaxEntriesLimit)
        {
            failures.Add($"Mirror:MaxEntriesPerClient must be between 1 and {MaxEntriesLimit} (was {options.MaxEntriesPerClient})");
        }

        if (options.SyncAckTimeout <= TimeSpan.Zero)
        {
            failures.Add($"Mirror:SyncAckTimeout must be positive (was {options.SyncAckTimeout})");
        }

        if (options.SyncLockTimeout <= options.SyncAckTimeout)
        {
            failures.Add($"Mirror:SyncLockTimeout must be longer than Mirror:SyncAckTimeout (was {options.SyncLockTimeout})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

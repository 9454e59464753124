using ClusterEngine.Mirroring;

namespace ClusterEngine.Tests.Mirroring;

public sealed class MirrorOptionsValidatorTests
{
    private readonly MirrorOptionsValidator _validator = new();

    [Fact]
    public void Defaults_are_valid_and_documented_values()
    {
        var options = new MirrorOptions();

        Assert.True(_validator.Validate(null, options).Succeeded);
        Assert.Equal(MirrorSyncPolicy.EveryNTransactions, options.SyncPolicy);
        Assert.Equal(10, options.SyncEvery);
        Assert.Equal(TimeSpan.FromSeconds(5), options.SyncInterval);
        Assert.Equal(256, options.MaxEntriesPerClient);
    }

    [Theory]
    [InlineData(0, "Mirror:MaxEntriesPerClient must be between 1 and 4096 (was 0)")]
    [InlineData(4_097, "Mirror:MaxEntriesPerClient must be between 1 and 4096 (was 4097)")]
    public void Bad_entry_bound_names_the_key(int value, string message)
    {
        var result = _validator.Validate(null, new MirrorOptions { MaxEntriesPerClient = value });

        Assert.Equal([message], result.Failures);
    }

    [Fact]
    public void Every_bad_value_is_reported_with_its_key()
    {
        var result = _validator.Validate(null, new MirrorOptions
        {
            SyncPolicy = (MirrorSyncPolicy)9,
            SyncEvery = 0,
            SyncInterval = TimeSpan.Zero,
        });

        Assert.Collection(
            result.Failures!,
            f => Assert.StartsWith("Mirror:SyncPolicy must be one of OnLogoff, EveryNTransactions, EachTransaction, Periodic (was 9)", f, StringComparison.Ordinal),
            f => Assert.Equal("Mirror:SyncEvery must be between 1 and 1000000 (was 0)", f),
            f => Assert.StartsWith("Mirror:SyncInterval must be between", f, StringComparison.Ordinal));
    }

    [Fact]
    public void Sync_timeouts_are_validated_with_messages_naming_their_keys()
    {
        Assert.Equal(["Mirror:SyncAckTimeout must be positive (was 00:00:00)"], _validator.Validate(null, new MirrorOptions { SyncAckTimeout = TimeSpan.Zero }).Failures);
        Assert.Equal(["Mirror:SyncLockTimeout must be longer than Mirror:SyncAckTimeout (was 00:00:01)"],
            _validator.Validate(null, new MirrorOptions { SyncLockTimeout = TimeSpan.FromSeconds(1) }).Failures);
        Assert.Equal(TimeSpan.FromSeconds(2), new MirrorOptions().SyncAckTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), new MirrorOptions().SyncLockTimeout);
    }
}

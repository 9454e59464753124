using ClusterEngine.Persistence;
using Microsoft.Extensions.Options;

namespace ClusterEngine.Tests.Persistence;

/// <summary>The schema lock's timings (<see cref="PersistenceOptions.LockCheckInterval"/>, <see cref="PersistenceOptions.LockKeepAlive"/>) are checked at start, naming the key.</summary>
public sealed class PersistenceOptionsValidatorTests
{
    [Theory]
    [InlineData("LockCheckInterval", "00:00:00.050")]
    [InlineData("LockCheckInterval", "00:10:00.001")]
    [InlineData("LockCheckInterval", "-00:00:01")]
    [InlineData("LockKeepAlive", "00:00:00.500")]
    [InlineData("LockKeepAlive", "00:00:01.500")]
    [InlineData("LockKeepAlive", "01:00:01")]
    public void A_lock_timing_out_of_range_fails_naming_its_key(string key, string value)
    {
        var result = Validate(key, TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture), out var data);
        using (data)
        {
            Assert.True(result.Failed);
            Assert.Contains(result.Failures!, f => f.StartsWith($"Persistence:{key} must be ", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("LockCheckInterval", "00:00:00.100")]
    [InlineData("LockCheckInterval", "00:10:00")]
    [InlineData("LockKeepAlive", "00:00:01")]
    [InlineData("LockKeepAlive", "01:00:00")]
    public void The_bounds_themselves_pass(string key, string value)
    {
        var result = Validate(key, TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture), out var data);
        using (data)
        {
            Assert.False(result.Failed, string.Join("; ", result.Failures ?? []));
        }
    }

    private static ValidateOptionsResult Validate(string key, TimeSpan value, out TempDirectory data)
    {
        data = new TempDirectory();
        var options = new PersistenceOptions();
        typeof(PersistenceOptions).GetProperty(key)!.SetValue(options, value);
        var cluster = Options.Create(new ClusterOptions { NodeId = "node-1", Key = "0123456789abcdef0123456789abcdef", DataDirectory = data.Path });
        return new PersistenceOptionsValidator(cluster).Validate(null, options);
    }

    private sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("validator-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}

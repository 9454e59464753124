namespace ClusterEngine.Tests;

public sealed class ClusterOptionsValidatorTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        Assert.True(new ClusterOptionsValidator().Validate(null, new ClusterOptions()).Succeeded);
    }

    [Theory]
    [InlineData("Cluster:Capacity", nameof(ClusterOptions.Capacity), 0)]
    [InlineData("Cluster:AdmissionThreshold", nameof(ClusterOptions.AdmissionThreshold), 1.5)]
    [InlineData("Cluster:AdmissionThreshold", nameof(ClusterOptions.AdmissionThreshold), 0.0)]
    [InlineData("Cluster:BusyThreshold", nameof(ClusterOptions.BusyThreshold), -0.1)]
    [InlineData("Cluster:MaxBounces", nameof(ClusterOptions.MaxBounces), -1)]
    [InlineData("Cluster:MaxConcurrentRequests", nameof(ClusterOptions.MaxConcurrentRequests), 0)]
    public void A_bad_value_names_its_key(string key, string property, object value)
    {
        var options = new ClusterOptions();
        var prop = typeof(ClusterOptions).GetProperty(property)!;
        prop.SetValue(options, Convert.ChangeType(value, prop.PropertyType, System.Globalization.CultureInfo.InvariantCulture));

        var result = new ClusterOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(key, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_node_id_seed_url_and_timeouts_name_their_keys()
    {
        var options = new ClusterOptions { NodeId = "../evil", FailureTimeout = TimeSpan.FromMilliseconds(100), Key = "short" };
        options.Seeds.Add("not a url");

        var message = new ClusterOptionsValidator().Validate(null, options).FailureMessage;

        Assert.Contains("Cluster:NodeId", message, StringComparison.Ordinal);
        Assert.Contains("Cluster:Seeds:0", message, StringComparison.Ordinal);
        Assert.Contains("Cluster:FailureTimeout", message, StringComparison.Ordinal);
        Assert.Contains("Cluster:Key", message, StringComparison.Ordinal);
        Assert.DoesNotContain("short", message, StringComparison.Ordinal);
    }
}

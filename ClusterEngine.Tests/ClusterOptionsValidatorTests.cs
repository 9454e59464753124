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
    [InlineData("Cluster:Zone", nameof(ClusterOptions.Zone), "rack 1")]
    [InlineData("Cluster:Zone", nameof(ClusterOptions.Zone), "../zone")]
    public void A_bad_value_names_its_key(string key, string property, object value)
    {
        var options = new ClusterOptions();
        var prop = typeof(ClusterOptions).GetProperty(property)!;
        prop.SetValue(options, Convert.ChangeType(value, prop.PropertyType, System.Globalization.CultureInfo.InvariantCulture));

        var result = new ClusterOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(key, result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://10.0.0.4:5000", true)]
    [InlineData("https://node-2.example:443/", true)]
    [InlineData("HTTP://127.0.0.1:5001", true)]
    [InlineData("http://127.0.0.1:5001/..", true)] // normalised to the root
    [InlineData("http://user:pass@127.0.0.1:5001", false)] // a credential in a URL every viewer sees (attack 2026-12-05)
    [InlineData("http://user@127.0.0.1:5001", false)]
    [InlineData("http://127.0.0.1:5001/some/path", false)]
    [InlineData("http://127.0.0.1:5001/?q=1", false)]
    [InlineData("http://127.0.0.1:5001/#frag", false)]
    [InlineData("ftp://127.0.0.1:5001", false)]
    [InlineData("file:///tmp/x", false)]
    [InlineData("not a url", false)]
    [InlineData("", false)]
    public void A_node_url_is_the_root_of_an_http_server_without_credentials(string url, bool valid)
    {
        Assert.Equal(valid, ClusterOptionsValidator.IsNodeUrl(url));

        var options = new ClusterOptions();
        options.Seeds.Add(url);
        Assert.Equal(valid, new ClusterOptionsValidator().Validate(null, options).Succeeded);
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

    [Fact]
    public void Accepted_keys_shorter_than_16_characters_or_more_than_four_name_their_key_and_show_no_key()
    {
        var shortKey = new ClusterOptions { Key = "the-cluster-key-0123456789", AcceptedKeys = { "the-next-key-0123456789", "tiny" } };
        var tooMany = new ClusterOptions { Key = "the-cluster-key-0123456789" };
        for (var i = 0; i < 5; i++)
        {
            tooMany.AcceptedKeys.Add($"accepted-key-number-{i}-0123456789");
        }

        var shortMessage = new ClusterOptionsValidator().Validate(null, shortKey).FailureMessage;
        var manyMessage = new ClusterOptionsValidator().Validate(null, tooMany).FailureMessage;

        Assert.Contains("Cluster:AcceptedKeys:1 must be at least 16 characters", shortMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("tiny", shortMessage, StringComparison.Ordinal);
        Assert.Contains("Cluster:AcceptedKeys must list at most 4 keys", manyMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("accepted-key-number", manyMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("TickInterval", "00:00:00.300", "Cluster:TickInterval must be positive and at most Cluster:HeartbeatInterval")]
    [InlineData("TickInterval", "00:00:00", "Cluster:TickInterval must be positive")]
    [InlineData("ProbeTimeout", "00:00:02", "Cluster:ProbeTimeout must be positive and less than Cluster:FailureTimeout")]
    [InlineData("FailureTimeout", "00:00:00.300", "Cluster:FailureTimeout must be longer than Cluster:HeartbeatInterval plus two Cluster:TickInterval")]
    [InlineData("OfferTimeout", "00:00:00", "Cluster:OfferTimeout must be positive")]
    [InlineData("HelloTimeout", "-00:00:01", "Cluster:HelloTimeout must be positive")]
    [InlineData("HandOverTimeout", "00:00:00", "Cluster:HandOverTimeout must be positive")]
    [InlineData("RemovalAckTimeout", "00:00:00", "Cluster:RemovalAckTimeout must be positive and at most 00:01:00")]
    [InlineData("RemovalAckTimeout", "00:02:00", "Cluster:RemovalAckTimeout must be positive and at most 00:01:00")]
    [InlineData("DrainTimeout", "00:00:00", "Cluster:DrainTimeout must be positive")]
    [InlineData("ForwardConnectTimeout", "00:00:00", "Cluster:ForwardConnectTimeout must be positive")]
    [InlineData("ForwardActivityTimeout", "00:00:00.400", "Cluster:ForwardActivityTimeout must be longer than Cluster:ForwardConnectTimeout")]
    [InlineData("ForwardPeerWatchInterval", "00:00:00", "Cluster:ForwardPeerWatchInterval must be positive")]
    [InlineData("UnknownClientWait", "00:02:00", "Cluster:UnknownClientWait must be between 0 and 00:01:00")]
    [InlineData("PeerKeepAliveInterval", "00:00:00", "Cluster:PeerKeepAliveInterval must be positive")]
    [InlineData("PeerServerTimeout", "00:00:09", "Cluster:PeerServerTimeout must be at least twice Cluster:PeerKeepAliveInterval")]
    [InlineData("PeerRetryBaseDelay", "00:00:00", "Cluster:PeerRetryBaseDelay must be positive")]
    [InlineData("PeerRetryMaxDelay", "00:00:00.010", "Cluster:PeerRetryMaxDelay must be at least Cluster:PeerRetryBaseDelay")]
    public void Every_timing_is_validated_with_a_message_naming_its_key(string property, string value, string message)
    {
        var options = new ClusterOptions();
        typeof(ClusterOptions).GetProperty(property)!.SetValue(options, TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture));

        var failures = new ClusterOptionsValidator().Validate(null, options).Failures!;

        var failure = Assert.Single(failures);
        Assert.StartsWith(message, failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(101)]
    public void Failure_rtt_factor_out_of_range_is_refused_naming_the_key(double factor)
    {
        var failures = new ClusterOptionsValidator().Validate(null, new ClusterOptions { FailureRttFactor = factor }).Failures!;

        Assert.StartsWith("Cluster:FailureRttFactor must be between 0 and 100", Assert.Single(failures), StringComparison.Ordinal);
    }

    [Fact]
    public void Timing_defaults_are_the_documented_ones()
    {
        var o = new ClusterOptions();

        Assert.Equal(TimeSpan.FromMilliseconds(25), o.TickInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(150), o.ProbeTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(750), o.OfferTimeout);
        Assert.Equal(TimeSpan.FromSeconds(3), o.HelloTimeout);
        Assert.Equal(TimeSpan.FromSeconds(3), o.HandOverTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), o.RemovalAckTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), o.DrainTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(500), o.ForwardConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), o.ForwardActivityTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(100), o.ForwardPeerWatchInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(500), o.UnknownClientWait);
        Assert.Equal(TimeSpan.FromSeconds(5), o.PeerKeepAliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), o.PeerServerTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(50), o.PeerRetryBaseDelay);
        Assert.Equal(TimeSpan.FromSeconds(2), o.PeerRetryMaxDelay);
    }

    [Fact]
    public void The_failure_timeout_max_is_checked_only_with_a_round_trip_factor()
    {
        var plain = new ClusterOptions { FailureTimeout = TimeSpan.FromSeconds(20) }; // above the 15 s default max: fine without a factor
        var scaled = new ClusterOptions { FailureRttFactor = 16, FailureTimeoutMax = TimeSpan.FromMilliseconds(500) };

        Assert.True(new ClusterOptionsValidator().Validate(null, plain).Succeeded);
        Assert.StartsWith("Cluster:FailureTimeoutMax must be at least Cluster:FailureTimeout when Cluster:FailureRttFactor is set",
            Assert.Single(new ClusterOptionsValidator().Validate(null, scaled).Failures!), StringComparison.Ordinal);
    }
}


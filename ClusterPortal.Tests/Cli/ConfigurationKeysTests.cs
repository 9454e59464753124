using ClusterEngine;
using ClusterPortal.Cli;

namespace ClusterPortal.Tests.Cli;

/// <summary>Configuration switches on the command line: derived from the options classes, refused when unknown or of the wrong type, naming the key.</summary>
public sealed class ConfigurationKeysTests
{
    private static readonly ConfigurationKeys Keys = ConfigurationKeys.Default;

    [Fact]
    public void Every_property_of_an_options_class_is_a_key()
    {
        var cluster = Keys.Sections.Single(s => s.Section == ClusterOptions.SectionName).Keys;
        // Settable properties and collections (the binder fills a get-only list) are keys; a derived value (SelfSilenceBudget) is not.
        Assert.Equal(typeof(ClusterOptions).GetProperties().Where(p => p.CanWrite || (p.PropertyType != typeof(string) && typeof(System.Collections.IEnumerable).IsAssignableFrom(p.PropertyType))).Select(p => p.Name is nameof(ClusterOptions.Seeds) or nameof(ClusterOptions.AcceptedKeys) ? p.Name + ":N" : p.Name).Order(), cluster.Order());
        Assert.Equal(["Cluster", "Delta", "LocalCluster", "Mirror", "Origin", "Persistence", "Portal"], Keys.Sections.Select(s => s.Section).Order());
    }

    [Theory]
    [InlineData("--Cluster:Capacity=5000")]
    [InlineData("--cluster:capacity=5000")]
    [InlineData("--Cluster:Capacity", "5000")]
    [InlineData("--Cluster:Seeds:0=http://127.0.0.1:5101", "--Cluster:Seeds:1=http://127.0.0.1:5102")]
    [InlineData("--Cluster:AcceptedKeys:0=the-next-cluster-key-0123456789")]
    [InlineData("--Mirror:SyncPolicy=Periodic", "--Mirror:SyncInterval=00:00:01")]
    [InlineData("--Portal:AnonymousView=Always", "--Portal:MaxRequestBodyBytes=10")]
    [InlineData("--Portal:Http2Port=5201", "--Delta:MaxVersionsPerItem=8", "--Delta:DictionaryLifetime=01:00:00")]
    [InlineData("--Origin:BaseUrl=http://origin.example/", "--Origin:Kind=Http")]
    [InlineData("--LocalCluster:Nodes=5", "--LocalCluster:BasePort=6000")]
    [InlineData("--Persistence:Provider=PostgreSql", "--Persistence:ConnectionString=Host=127.0.0.1;Database=cluster")]
    [InlineData("--urls", "http://127.0.0.1:5101", "--environment=Development", "--contentRoot=/tmp")]
    [InlineData("--Logging:LogLevel:Default=Debug", "--Kestrel:Limits:MaxConcurrentConnections=10")]
    [InlineData("--Cluster=", "--Portal=")]
    public void Documented_keys_with_values_of_their_type_are_accepted(params string[] tokens) =>
        Assert.Empty(Keys.Problems(tokens));

    [Theory]
    [InlineData("unknown option '--nodes'", "--nodes", "5")]
    [InlineData("unknown configuration key 'Cluster:Capacityy'", "--Cluster:Capacityy=5")]
    [InlineData("LocalCluster:Nodes must be a whole number (was 'abc')", "--LocalCluster:Nodes=abc")]
    [InlineData("Cluster:AdmissionThreshold must be a number", "--Cluster:AdmissionThreshold=most")]
    [InlineData("Cluster:HeartbeatInterval must be a duration", "--Cluster:HeartbeatInterval=fast")]
    [InlineData("Mirror:SyncPolicy must be one of OnLogoff, EveryNTransactions, EachTransaction, Periodic", "--Mirror:SyncPolicy=Sometimes")]
    [InlineData("Cluster:Seeds is a list", "--Cluster:Seeds=http://127.0.0.1:5101")]
    [InlineData("--Cluster:Capacity needs a value", "--Cluster:Capacity")]
    [InlineData("unexpected argument 'nodes'", "nodes")]
    public void Unknown_keys_and_bad_values_are_refused_naming_them(string expected, params string[] tokens) =>
        Assert.Contains(Keys.Problems(tokens), p => p.Contains(expected, StringComparison.Ordinal));

    [Fact]
    public void The_description_lists_every_section()
    {
        var text = string.Join("\n", Keys.Describe());
        foreach (var (section, _) in Keys.Sections)
        {
            Assert.Contains($"--{section}:{{", text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("--Cluster:AcceptedKeys=SECRETVALUE-0123456")]
    [InlineData("--Cluster:AcceptedKeys", "SECRETVALUE-0123456")]
    [InlineData("Cluster:AcceptedKeys:0=SECRETVALUE-0123456")]
    [InlineData("--cluster:key=x", "Cluster:Key=SECRETVALUE-0123456")]
    [InlineData("Portal:AdminKey=SECRETVALUE-0123456")]
    public void A_refused_secret_is_named_but_never_shown(params string[] args)
    {
        var problems = Keys.Problems(args);

        Assert.NotEmpty(problems);
        Assert.DoesNotContain(problems, p => p.Contains("SECRETVALUE", StringComparison.Ordinal));
    }
}

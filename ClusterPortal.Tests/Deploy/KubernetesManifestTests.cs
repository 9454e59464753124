using System.Net;
using System.Reflection;
using System.Text.RegularExpressions;
using ClusterPortal.Tests.Support;
using Microsoft.Extensions.Configuration;
using YamlDotNet.RepresentationModel;

namespace ClusterPortal.Tests.Deploy;

/// <summary>
/// deploy/kubernetes (issue 16, part 3) without a Kubernetes cluster: every document parses (YamlDotNet), every
/// configuration key it sets (environment variables and ConfigMap entries named <c>Section__Key</c>) binds to a property
/// of the node's options with a valid value, the probes call endpoints a real node answers, and the ports agree with
/// each other and with deploy/Dockerfile.
/// </summary>
public sealed partial class KubernetesManifestTests
{
    private static readonly string Directory = Path.Combine(ContainerImageTests.RepositoryRoot, "deploy", "kubernetes");

    [Fact]
    public void Every_manifest_parses_and_has_the_expected_kinds()
    {
        var kinds = Documents().Select(d => Scalar(d, "kind") + "/" + Scalar(d, "metadata", "name")).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(["ConfigMap/clusterportal-config", "PodDisruptionBudget/clusterportal", "Secret/clusterportal-keys", "Service/clusterportal",
            "Service/clusterportal-peers", "StatefulSet/clusterportal"], kinds);
        Assert.All(Documents(), d => Assert.False(string.IsNullOrEmpty(Scalar(d, "apiVersion"))));
    }

    [Fact]
    public void Every_configuration_key_exists_in_the_options_and_binds_to_a_valid_value()
    {
        var settings = NodeSettings("clusterportal-1", "shop");
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

        foreach (var section in config.GetChildren())
        {
            var type = OptionsTypes.TryGetValue(section.Key, out var t) ? t : null;
            Assert.True(type is not null, $"'{section.Key}' is not an options section of the node (known: {string.Join(", ", OptionsTypes.Keys)})");
            var options = Activator.CreateInstance(type!)!;
            section.Bind(options, o => o.ErrorOnUnknownConfiguration = true); // an unknown key or a bad value throws, naming it
        }

        var cluster = config.GetSection("Cluster").Get<ClusterEngine.ClusterOptions>()!;
        Assert.True(new ClusterEngine.ClusterOptionsValidator().Validate(null, cluster).Succeeded);
        Assert.Equal("clusterportal-1", cluster.NodeId);
        Assert.Equal("http://clusterportal-1.clusterportal-peers.shop.svc.cluster.local:8080", cluster.AdvertisedUrl);
        Assert.Equal(["http://clusterportal-0.clusterportal-peers.shop.svc.cluster.local:8080"], cluster.Seeds);
        Assert.True(new Hosting.PortalOptionsValidator().Validate(null, config.GetSection("Portal").Get<Hosting.PortalOptions>()!).Succeeded);
    }

    [Fact]
    public void Secrets_the_pods_read_are_the_keys_of_the_example_secret()
    {
        var secret = Documents().Single(d => Scalar(d, "kind") == "Secret");
        var keys = ((YamlMappingNode)secret["stringData"]).Children.Keys.Select(k => k.ToString()).ToHashSet(StringComparer.Ordinal);
        var referenced = Env().Where(e => e.Children.ContainsKey("valueFrom") && ((YamlMappingNode)e["valueFrom"]).Children.ContainsKey("secretKeyRef"))
            .Select(e => (YamlMappingNode)e["valueFrom"]["secretKeyRef"]).ToList();

        Assert.NotEmpty(referenced);
        Assert.All(referenced, r => Assert.Equal(Scalar(secret, "metadata", "name"), r["name"].ToString()));
        Assert.All(referenced.Where(r => !r.Children.ContainsKey("optional")), r => Assert.Contains(r["key"].ToString(), keys));
    }

    [Fact]
    public async Task Probes_call_endpoints_that_a_node_answers()
    {
        var container = Container();
        var probes = new[] { "startupProbe", "livenessProbe", "readinessProbe" }.Select(p => (YamlMappingNode)container[p]["httpGet"]).ToList();
        using var node = new PortalFactory();
        var http = node.Client(); // anonymous, as the kubelet is

        foreach (var probe in probes)
        {
            Assert.Equal("http", probe["port"].ToString());
            var response = await http.GetAsync(probe["path"].ToString());
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{probe["path"]}: {(int)response.StatusCode}");
        }

        Assert.Equal("/health/ready", probes[2]["path"].ToString());
        Assert.Contains(new Uri(node.BaseUrl + "/health/ready").AbsolutePath, probes.Select(p => p["path"].ToString()));
    }

    [Fact]
    public void Ports_agree_between_the_services_the_container_the_urls_and_the_image()
    {
        var containerPort = ((YamlSequenceNode)Container()["ports"]).Cast<YamlMappingNode>().Single();
        var port = containerPort["containerPort"].ToString();
        var settings = NodeSettings("clusterportal-2", "default");

        Assert.Equal("http", containerPort["name"].ToString());
        Assert.Equal(port, Assert.Single(DockerfileExposed()));
        foreach (var service in Documents().Where(d => Scalar(d, "kind") == "Service"))
        {
            var servicePort = (YamlMappingNode)((YamlSequenceNode)service["spec"]["ports"]).Children.Single();
            Assert.Equal("http", servicePort["targetPort"].ToString());
        }

        var peers = Documents().Single(d => Scalar(d, "metadata", "name") == "clusterportal-peers");
        Assert.Equal("None", Scalar(peers, "spec", "clusterIP"));
        Assert.Equal(port, ((YamlSequenceNode)peers["spec"]["ports"]).Cast<YamlMappingNode>().Single()["port"].ToString());
        Assert.Equal("clusterportal-peers", Scalar(StatefulSet(), "spec", "serviceName"));
        Assert.EndsWith(":" + port, settings["Cluster:AdvertisedUrl"], StringComparison.Ordinal);
        Assert.EndsWith(":" + port, settings["Cluster:Seeds:0"], StringComparison.Ordinal);
        var mount = ((YamlSequenceNode)Container()["volumeMounts"]).Cast<YamlMappingNode>().Single(m => m["name"].ToString() == "data");
        Assert.Equal(settings["Cluster:DataDirectory"], mount["mountPath"].ToString());
    }

    [Fact]
    public void The_pod_runs_as_the_images_non_root_user_and_has_time_to_leave_gracefully()
    {
        var pod = (YamlMappingNode)StatefulSet()["spec"]["template"]["spec"];

        Assert.Equal("true", Scalar(pod, "securityContext", "runAsNonRoot"));
        Assert.Equal(DockerfileUser(), Scalar(pod, "securityContext", "runAsUser"));
        Assert.Equal("true", Scalar(Container(), "securityContext", "readOnlyRootFilesystem"));
        // preStop sleep + the host's shutdown timeout (10 s, the graceful leave) must fit in the grace period.
        var preStop = ((YamlSequenceNode)Container()["lifecycle"]["preStop"]["exec"]["command"]).Children.Select(c => c.ToString()).ToList();
        Assert.Equal("sleep", preStop[0]);
        Assert.True(int.Parse(preStop[1], System.Globalization.CultureInfo.InvariantCulture) + 10 < int.Parse(Scalar(pod, "terminationGracePeriodSeconds"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("1", Scalar(Documents().Single(d => Scalar(d, "kind") == "PodDisruptionBudget"), "spec", "maxUnavailable"));
    }

    /// <summary>The configuration one pod gets: ConfigMap entries and env values with <c>$(VAR)</c> references resolved, secrets from the example.</summary>
    private static Dictionary<string, string?> NodeSettings(string podName, string podNamespace)
    {
        var secret = (YamlMappingNode)Documents().Single(d => Scalar(d, "kind") == "Secret")["stringData"];
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in Env())
        {
            var name = entry["name"].ToString();
            values[name] = entry.Children.ContainsKey("value") ? Resolve(entry["value"].ToString(), values)
                : entry["valueFrom"] is YamlMappingNode from && from.Children.ContainsKey("fieldRef")
                    ? from["fieldRef"]["fieldPath"].ToString() == "metadata.name" ? podName : podNamespace
                    : secret.Children.TryGetValue(new YamlScalarNode(entry["valueFrom"]["secretKeyRef"]["key"].ToString()), out var s) ? s.ToString() : null!;
        }

        var configMap = (YamlMappingNode)Documents().Single(d => Scalar(d, "kind") == "ConfigMap")["data"];
        var settings = configMap.Children.ToDictionary(kv => ConfigKey(kv.Key.ToString()), kv => (string?)kv.Value.ToString());
        foreach (var (name, value) in values.Where(v => v.Value is not null))
        {
            if (name.Contains("__", StringComparison.Ordinal))
            {
                settings[ConfigKey(name)] = value;
            }
            else
            {
                // Helper variables only feed $(…) references of configuration values; anything else would be a typo.
                Assert.True(Env().Any(e => e.Children.ContainsKey("value") && e["value"].ToString().Contains($"$({name})", StringComparison.Ordinal)),
                    $"environment variable {name} is neither a configuration key (Section__Key) nor used by one");
            }
        }

        return settings;
    }

    private static string ConfigKey(string environmentName) => environmentName.Replace("__", ":", StringComparison.Ordinal);

    private static string Resolve(string value, Dictionary<string, string> known) =>
        Reference().Replace(value, m => known.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);

    private static Dictionary<string, Type> OptionsTypes { get; } = new[] { typeof(ClusterEngine.ClusterOptions).Assembly, typeof(Hosting.PortalOptions).Assembly }
        .SelectMany(a => a.GetTypes())
        .Select(t => (Type: t, Field: t.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)))
        .Where(x => x.Field is { IsLiteral: true } && x.Type.Name.EndsWith("Options", StringComparison.Ordinal))
        .ToDictionary(x => (string)x.Field!.GetRawConstantValue()!, x => x.Type, StringComparer.OrdinalIgnoreCase);

    private static List<YamlMappingNode> Documents()
    {
        var files = System.IO.Directory.GetFiles(Directory, "*.yaml").Concat(System.IO.Directory.GetFiles(Path.Combine(Directory, "examples"), "*.yaml"));
        var documents = new List<YamlMappingNode>();
        foreach (var file in files)
        {
            var stream = new YamlStream();
            using var reader = new StreamReader(file);
            stream.Load(reader);
            documents.AddRange(stream.Documents.Select(d => (YamlMappingNode)d.RootNode));
        }

        return documents;
    }

    private static YamlMappingNode StatefulSet() => Documents().Single(d => Scalar(d, "kind") == "StatefulSet");

    private static YamlMappingNode Container() =>
        (YamlMappingNode)((YamlSequenceNode)StatefulSet()["spec"]["template"]["spec"]["containers"]).Children.Single();

    private static List<YamlMappingNode> Env() => [.. ((YamlSequenceNode)Container()["env"]).Cast<YamlMappingNode>()];

    private static string Scalar(YamlNode node, params string[] path) => path.Aggregate(node, (n, key) => n[key]).ToString();

    private static string[] DockerfileExposed() => DockerfileArgs("EXPOSE");

    private static string DockerfileUser() => DockerfileArgs("USER").Single();

    private static string[] DockerfileArgs(string keyword) =>
        [.. File.ReadLines(Path.Combine(ContainerImageTests.RepositoryRoot, "deploy", "Dockerfile"))
            .Where(l => l.StartsWith(keyword + " ", StringComparison.Ordinal)).SelectMany(l => l[(keyword.Length + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))];

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex Reference();
}

using System.ComponentModel;
using System.Globalization;
using System.Reflection;

namespace ClusterPortal.Cli;

/// <summary>
/// Every configuration key a command-line switch (<c>--Section:Key=value</c>) may set: the properties of each
/// options class that declares a <c>public const string SectionName</c> (so a new option is accepted the day it
/// is added, and nothing else is), the ASP.NET Core host's own keys (<c>--urls</c>, <c>--environment</c>, …)
/// and the free-form sections <c>Logging</c> and <c>Kestrel</c>. A value is checked with the converter the
/// configuration binder uses, so a switch refused here is one the node could not have bound.
/// </summary>
internal sealed class ConfigurationKeys
{
    private static readonly string[] s_freeSections = ["Logging", "Kestrel"];
    private readonly Dictionary<string, Type> _keys = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Type> _lists = new(StringComparer.OrdinalIgnoreCase);

    private ConfigurationKeys()
    {
    }

    /// <summary>The keys of the engine's and the portal's options plus the host's.</summary>
    public static ConfigurationKeys Default { get; } = FromAssemblies(typeof(ClusterEngine.ClusterOptions).Assembly, typeof(ConfigurationKeys).Assembly);

    /// <summary>The options sections found, each with its keys in declaration order (<c>Seeds:N</c> for a list).</summary>
    public IReadOnlyList<(string Section, IReadOnlyList<string> Keys)> Sections { get; private set; } = [];

    /// <summary>Builds the key set from the options classes (types with a <c>SectionName</c> constant) of <paramref name="assemblies"/>.</summary>
    internal static ConfigurationKeys FromAssemblies(params Assembly[] assemblies)
    {
        var result = new ConfigurationKeys();
        var sections = new List<(string, IReadOnlyList<string>)>();
        foreach (var type in assemblies.SelectMany(a => a.GetTypes()).Where(t => t.IsClass && !t.IsAbstract).OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            if (type.GetField("SectionName", BindingFlags.Public | BindingFlags.Static) is not { IsLiteral: true } field
                || field.GetRawConstantValue() is not string section)
            {
                continue;
            }

            var names = new List<string>();
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (ListElement(property.PropertyType) is { } element)
                {
                    result._lists[$"{section}:{property.Name}"] = element;
                    names.Add(property.Name + ":N");
                }
                else if (property.SetMethod is { IsPublic: true })
                {
                    result._keys[$"{section}:{property.Name}"] = property.PropertyType;
                    names.Add(property.Name);
                }
            }

            sections.Add((section, names));
        }

        foreach (var key in HostKeys())
        {
            result._keys.TryAdd(key, typeof(string));
        }

        result.Sections = sections;
        return result;
    }

    /// <summary>Checks one switch.</summary>
    /// <param name="key">The key, without the leading dashes (<c>Cluster:Capacity</c>).</param>
    /// <param name="value">Its value.</param>
    /// <returns>Null when the switch is accepted, else why not (naming the key).</returns>
    public string? Check(string key, string value)
    {
        if (s_freeSections.Any(s => key.StartsWith(s + ":", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        if (value.Length == 0 && (s_freeSections.Contains(key, StringComparer.OrdinalIgnoreCase) || Sections.Any(s => s.Section.Equals(key, StringComparison.OrdinalIgnoreCase))))
        {
            return null; // a section's own (empty) entry, as a configuration dump lists it: sets nothing
        }

        if (_keys.TryGetValue(key, out var type))
        {
            return CheckValue(key, type, value);
        }

        if (_lists.ContainsKey(key))
        {
            return value.Length == 0 ? null : $"{key} is a list: give its items as {key}:0, {key}:1, … (was '--{key}={Shown(key, value)}').";
        }

        var split = key.LastIndexOf(':');
        if (split > 0 && _lists.TryGetValue(key[..split], out var element))
        {
            return int.TryParse(key[(split + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out _)
                ? CheckValue(key, element, value)
                : $"{key[..split]} is a list: give its items as {key[..split]}:0, {key[..split]}:1, … (was '{key}').";
        }

        return IsKnownSection(key) ? $"unknown configuration key '{key}'." : $"unknown option '--{key}'.";
    }

    /// <summary>
    /// Checks the tokens the command line did not match as options: each must be a switch <c>--Key=value</c> or
    /// <c>--Key value</c> for a key of this set with a value of its type.
    /// </summary>
    /// <returns>One message per refused token; empty when all are accepted.</returns>
    public IReadOnlyList<string> Problems(IReadOnlyList<string> tokens)
    {
        var problems = new List<string>();
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (!token.StartsWith("--", StringComparison.Ordinal) || token.Length == 2)
            {
                var equals0 = token.IndexOf('=', StringComparison.Ordinal);
                problems.Add($"unexpected argument '{(equals0 > 0 ? token[..(equals0 + 1)] + Shown(token[..equals0].TrimStart('-'), token[(equals0 + 1)..]) : token)}'.");
                continue;
            }

            var equals = token.IndexOf('=', StringComparison.Ordinal);
            var key = equals > 0 ? token[2..equals] : token[2..];
            string value;
            if (equals > 0)
            {
                value = token[(equals + 1)..];
            }
            else if (i + 1 < tokens.Count && !tokens[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                value = tokens[++i];
            }
            else
            {
                problems.Add(Check(key, "") is { } unknown && unknown.StartsWith("unknown", StringComparison.Ordinal)
                    ? unknown
                    : $"--{key} needs a value (--{key}=value).");
                continue;
            }

            if (Check(key, value) is { } problem)
            {
                problems.Add(problem);
            }
        }

        return problems;
    }

    /// <summary>
    /// Checks the value of every key of this set that <paramref name="configuration"/> holds, from whatever source
    /// (appsettings, the environment, the command line): the binder would throw on a value of the wrong type
    /// (<c>Mirror__SyncPolicy=Bogus</c>), so a node refuses it before it builds its host, naming the key.
    /// </summary>
    /// <returns>One message per bad value, naming its key; empty when all are accepted.</returns>
    public IReadOnlyList<string> ValueProblems(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var problems = new List<string>();
        foreach (var (key, type) in _keys)
        {
            if (configuration[key] is { Length: > 0 } value && CheckValue(key, type, value) is { } problem)
            {
                problems.Add(problem);
            }
        }

        foreach (var (key, element) in _lists)
        {
            foreach (var item in configuration.GetSection(key).GetChildren())
            {
                if (item.Value is { Length: > 0 } value && CheckValue(item.Path, element, value) is { } problem)
                {
                    problems.Add(problem);
                }
            }
        }

        return problems;
    }

    /// <summary>The valid keys for an error message or the help: one line per section.</summary>
    public IEnumerable<string> Describe()
    {
        foreach (var (section, keys) in Sections)
        {
            yield return $"--{section}:{{{string.Join(", ", keys)}}}=value";
        }

        yield return "--urls, --environment, --contentRoot (host), --Logging:…, --Kestrel:… (ASP.NET Core sections)";
    }

    private bool IsKnownSection(string key) =>
        Sections.Any(s => key.StartsWith(s.Section + ":", StringComparison.OrdinalIgnoreCase));

    private static readonly string[] s_secretKeys = ["Cluster:Key", "Cluster:AcceptedKeys", "Portal:AdminKey", "Persistence:ConnectionString"];

    /// <summary>
    /// Whether <paramref name="key"/> holds a secret (the cluster key and the accepted ones, the admin key, a connection
    /// string): its value is never echoed in a message — stderr ends up in logs and terminals others read (found by attack:
    /// a mistyped <c>--Cluster:AcceptedKeys=…</c> printed the key).
    /// </summary>
    internal static bool IsSecret(string key) =>
        s_secretKeys.Any(s => key.Equals(s, StringComparison.OrdinalIgnoreCase) || key.StartsWith(s + ":", StringComparison.OrdinalIgnoreCase));

    private static string Shown(string key, string value) => IsSecret(key) ? "***" : value;

    private static string? CheckValue(string key, Type type, string value)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target == typeof(string))
        {
            return null;
        }

        try
        {
            var converted = TypeDescriptor.GetConverter(target).ConvertFromInvariantString(value);
            return target.IsEnum && (converted is null || !Enum.IsDefined(target, converted)) ? $"{key} must be {Expected(target)} (was '{value}')." : null;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or NotSupportedException or OverflowException
            || ex.InnerException is FormatException or OverflowException)
        {
            return $"{key} must be {Expected(target)} (was '{value}').";
        }
    }

    private static string Expected(Type type) => type switch
    {
        _ when type == typeof(int) || type == typeof(long) => "a whole number",
        _ when type == typeof(double) => "a number (e.g. 0.8)",
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(TimeSpan) => "a duration [d.]hh:mm:ss[.fff] (e.g. 00:00:05)",
        _ when type == typeof(Uri) => "a URL",
        _ when type.IsEnum => "one of " + string.Join(", ", Enum.GetNames(type)),
        _ => "a " + type.Name,
    };

    private static Type? ListElement(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() is var definition
            && (definition == typeof(IList<>) || definition == typeof(List<>) || definition == typeof(ICollection<>))
            ? type.GetGenericArguments()[0]
            : null;

    /// <summary>The generic host's and web host's own keys (<see cref="WebHostDefaults"/>, <see cref="HostDefaults"/>) and <c>AllowedHosts</c>.</summary>
    private static IEnumerable<string> HostKeys() =>
        typeof(WebHostDefaults).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Concat(typeof(HostDefaults).GetFields(BindingFlags.Public | BindingFlags.Static))
            .Where(f => f.FieldType == typeof(string))
            .Select(f => (string)f.GetValue(null)!)
            .Append("AllowedHosts");
}

using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ClusterEngine.Persistence;

/// <summary>
/// Validates <see cref="PersistenceOptions"/> at start; every failure message starts with the configuration key. When
/// the values are well formed it also opens the database once (<see cref="NodeDatabaseProbe"/>): an unreachable server,
/// a wrong password or a missing database stop the node at start (exit code 2) with one line naming
/// <c>Persistence:ConnectionString</c> (or <c>Cluster:DataDirectory</c> for SQLite).
/// </summary>
/// <param name="cluster">The node's cluster options (node id: the default schema; data directory: the SQLite file).</param>
public sealed partial class PersistenceOptionsValidator(IOptions<ClusterOptions> cluster) : IValidateOptions<PersistenceOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, PersistenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        void Check(bool ok, string key, string rule, object? value)
        {
            if (!ok)
            {
                errors.Add($"Persistence:{key} {rule} (was '{value}').");
            }
        }

        Check(Enum.IsDefined(options.Provider), "Provider", "must be Sqlite or PostgreSql", options.Provider);
        Check(options.MaxDelay >= TimeSpan.FromMilliseconds(1) && options.MaxDelay <= TimeSpan.FromSeconds(10), "MaxDelay", "must be between 00:00:00.001 and 00:00:10", options.MaxDelay);
        Check(options.CommitWait >= TimeSpan.FromMilliseconds(250) && options.CommitWait <= TimeSpan.FromMinutes(1), "CommitWait", "must be between 00:00:00.250 and 00:01:00", options.CommitWait);
        Check(options.MaxBatchSize is >= 1 and <= 1_000_000, "MaxBatchSize", "must be between 1 and 1000000", options.MaxBatchSize);
        Check(options.QueueCapacity is >= 1 and <= 100_000_000, "QueueCapacity", "must be between 1 and 100000000", options.QueueCapacity);
        Check(options.BusyTimeout >= TimeSpan.FromMilliseconds(1) && options.BusyTimeout <= TimeSpan.FromMinutes(10), "BusyTimeout", "must be between 00:00:00.001 and 00:10:00", options.BusyTimeout);
        Check(options.LockCheckInterval >= TimeSpan.FromMilliseconds(100) && options.LockCheckInterval <= TimeSpan.FromMinutes(10), "LockCheckInterval", "must be between 00:00:00.100 and 00:10:00", options.LockCheckInterval);
        Check(options.LockKeepAlive >= TimeSpan.FromSeconds(1) && options.LockKeepAlive <= TimeSpan.FromHours(1) && options.LockKeepAlive.Ticks % TimeSpan.TicksPerSecond == 0,
            "LockKeepAlive", "must be whole seconds between 00:00:01 and 01:00:00", options.LockKeepAlive);

        ClusterOptions clusterOptions;
        try
        {
            clusterOptions = cluster.Value;
        }
        catch (OptionsValidationException)
        {
            return ValidateOptionsResult.Skip; // the cluster options' own validation names their bad keys
        }

        var nodeId = clusterOptions.NodeId ?? "node-1";
        if (options.Provider == PersistenceProvider.PostgreSql)
        {
            ValidatePostgreSql(options, nodeId, errors);
        }

        if (errors.Count > 0)
        {
            return ValidateOptionsResult.Fail(errors);
        }

        var target = PersistenceClusterEngineBuilderExtensions.TargetOf(clusterOptions, options);
        return NodeDatabaseProbe.Check(target) is { } reason
            ? ValidateOptionsResult.Fail(target.Provider == PersistenceProvider.PostgreSql
                ? $"Persistence:ConnectionString: cannot open the PostgreSQL database {target.Description}: {reason}."
                : $"Cluster:DataDirectory: cannot open the SQLite database {target.Description}: {reason}.")
            : ValidateOptionsResult.Success;
    }

    private static void ValidatePostgreSql(PersistenceOptions options, string nodeId, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            errors.Add("Persistence:ConnectionString is required when Persistence:Provider is PostgreSql (e.g. 'Host=db;Database=clusterportal;Username=portal;Password=…').");
        }
        else
        {
            try
            {
                var parsed = new NpgsqlConnectionStringBuilder(options.ConnectionString);
                if (string.IsNullOrWhiteSpace(parsed.Host))
                {
                    errors.Add("Persistence:ConnectionString must name the server with Host=… .");
                }
            }
            catch (ArgumentException e)
            {
                errors.Add($"Persistence:ConnectionString is not a valid PostgreSQL connection string: {e.Message.ReplaceLineEndings(" ")}");
            }
        }

        var schema = options.SchemaFor(nodeId);
        if (!SchemaPattern().IsMatch(schema) || schema.StartsWith("pg_", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add(string.IsNullOrEmpty(options.Schema)
                ? $"Persistence:Schema defaults to the node id, which is not a usable PostgreSQL schema name (was '{schema}'): set Persistence:Schema to 1-{PersistenceOptions.MaxSchemaLength} characters of A-Za-z0-9._- not starting with pg_."
                : $"Persistence:Schema must be 1-{PersistenceOptions.MaxSchemaLength} characters of A-Za-z0-9._- not starting with pg_ (was '{schema}').");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,63}$")]
    private static partial Regex SchemaPattern();
}

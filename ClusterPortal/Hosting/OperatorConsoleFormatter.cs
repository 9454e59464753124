using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace ClusterPortal.Hosting;

/// <summary>Options of <see cref="OperatorConsoleFormatter"/> (<c>Logging:Console:FormatterOptions</c>).</summary>
public sealed class OperatorConsoleFormatterOptions : ConsoleFormatterOptions
{
    /// <summary>Write an exception's stack trace under its line. Default false; on when <c>Logging:LogLevel:Default</c> is <c>Debug</c> or <c>Trace</c>.</summary>
    public bool StackTraces { get; set; }
}

/// <summary>
/// The console format an operator reads: one line per entry — time, level, category, event id, message — and for an
/// entry with an exception its type and message on the same line (inner exceptions after <c>→</c>), not a
/// 2,000-character stack trace; the trace only with <see cref="OperatorConsoleFormatterOptions.StackTraces"/>
/// (debug logging). Registered as the console's default formatter under <see cref="Name"/>.
/// </summary>
internal sealed class OperatorConsoleFormatter(IOptionsMonitor<OperatorConsoleFormatterOptions> options) : ConsoleFormatter(Name)
{
    /// <summary>The formatter's name (<c>Logging:Console:FormatterName</c>).</summary>
    public new const string Name = "operator";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        var settings = options.CurrentValue;
        if (settings.TimestampFormat is { } format)
        {
            var now = settings.UseUtcTimestamp ? DateTimeOffset.UtcNow : DateTimeOffset.Now;
            textWriter.Write(now.ToString(format, CultureInfo.InvariantCulture));
        }

        textWriter.Write(Level(logEntry.LogLevel));
        textWriter.Write(": ");
        textWriter.Write(logEntry.Category);
        textWriter.Write('[');
        textWriter.Write(logEntry.EventId.Id.ToString(CultureInfo.InvariantCulture));
        textWriter.Write("] ");
        textWriter.Write(OneLine(message ?? ""));
        if (logEntry.Exception is { } exception)
        {
            textWriter.Write(" (");
            textWriter.Write(Describe(exception));
            textWriter.Write(')');
        }

        textWriter.WriteLine();
        if (logEntry.Exception is { StackTrace: not null } traced && settings.StackTraces)
        {
            textWriter.WriteLine(traced.ToString());
        }
    }

    /// <summary><c>Type: message</c> of an exception and its inner exceptions, on one line.</summary>
    internal static string Describe(Exception exception)
    {
        var parts = new List<string>();
        for (var e = exception; e is not null && parts.Count < 4; e = e.InnerException)
        {
            parts.Add($"{e.GetType().Name}: {OneLine(e.Message)}");
        }

        return string.Join(" → ", parts);
    }

    private static string OneLine(string text) =>
        text.Contains('\n', StringComparison.Ordinal) ? text.ReplaceLineEndings(" ") : text;

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };
}

/// <summary>Console logging of the node and the launcher in the <see cref="OperatorConsoleFormatter"/> format, with quiet framework categories.</summary>
internal static class OperatorLogging
{
    /// <summary>Uses the operator format for the console; stack traces when the default level is Debug or Trace.</summary>
    public static ILoggingBuilder AddOperatorConsole(this ILoggingBuilder logging, IConfiguration configuration)
    {
        var verbose = Enum.TryParse<LogLevel>(configuration["Logging:LogLevel:Default"], ignoreCase: true, out var level) && level <= LogLevel.Debug;
        logging.AddConsole(console => console.FormatterName = OperatorConsoleFormatter.Name)
            .AddConsoleFormatter<OperatorConsoleFormatter, OperatorConsoleFormatterOptions>(o =>
            {
                o.TimestampFormat ??= "HH:mm:ss ";
                o.StackTraces |= verbose;
            });
        return logging;
    }
}

/// <summary>The local cluster launcher's own logger (the nodes' lines are relayed with a <c>[node-i]</c> prefix).</summary>
internal static class LauncherLogging
{
    /// <summary>A logger factory writing to the console in the operator format.</summary>
    public static ILoggerFactory Create() => LoggerFactory.Create(logging => logging.AddOperatorConsole(new ConfigurationBuilder().Build()));
}

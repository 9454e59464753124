using System.Reflection;
using Microsoft.Extensions.Logging;

namespace ClusterPortal.Tests.Logging;

/// <summary>Every log message of an assembly has its own event id, taken from that assembly's <c>LogEvents</c> constants.</summary>
public sealed class LogEventIdTests
{
    [Theory]
    [InlineData("ClusterEngine")]
    [InlineData("ClusterPortal")]
    public void Each_log_message_has_its_own_event_id_from_the_assemblys_constants(string assemblyName)
    {
        var assembly = Assembly.Load(assemblyName);
        var constants = assembly.GetType($"{assemblyName}.LogEvents", throwOnError: true)!
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .ToDictionary(f => f.Name, f => (int)f.GetRawConstantValue()!);
        var messages = assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Select(m => (Method: $"{m.DeclaringType!.Name}.{m.Name}", Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(x => x.Attribute is not null)
            .ToList();

        Assert.NotEmpty(messages);
        var shared = messages.GroupBy(x => x.Attribute!.EventId).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(x => x.Method))}").ToList();
        Assert.True(shared.Count == 0, "event ids used by more than one message: " + string.Join("; ", shared));
        Assert.Equal(constants.Count, constants.Values.Distinct().Count());
        var unnamed = messages.Where(x => !constants.ContainsValue(x.Attribute!.EventId)).Select(x => x.Method).ToList();
        Assert.True(unnamed.Count == 0, "event ids not in LogEvents: " + string.Join(", ", unnamed));
    }
}

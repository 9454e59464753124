using ClusterPortal.Simulation;

namespace ClusterPortal.Tests.Simulation;

/// <summary>The <c>simulate</c> verb's arguments and the Zipf popularity of the simulator.</summary>
public sealed class SimulateCommandTests
{
    [Fact]
    public void Arguments_are_parsed_into_options()
    {
        var options = SimulateCommand.Parse(["--clients", "25", "--duration", "90s", "--target", "http://127.0.0.1:5101", "--target", "http://127.0.0.1:5102",
            "--admin-key", "k-0123456789abcdef", "--items", "40", "--change-share", "0.5", "--think", "250ms", "--mirror"]);

        Assert.Equal(25, options.Clients);
        Assert.Equal(TimeSpan.FromSeconds(90), options.Duration);
        Assert.Equal(["http://127.0.0.1:5101/", "http://127.0.0.1:5102/"], options.Target.Select(u => u.ToString()));
        Assert.Equal("k-0123456789abcdef", options.AdminKey);
        Assert.Equal((40, 0.5, true), (options.Items, options.ChangeShare, options.UseCacheMirror));
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.ThinkTime);
        Assert.Empty(options.Problems());
    }

    [Theory]
    [InlineData("60s", 60_000)]
    [InlineData("500ms", 500)]
    [InlineData("2m", 120_000)]
    [InlineData("00:01:30", 90_000)]
    [InlineData("10", 10_000)]
    public void Durations_take_units(string text, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), SimulateCommand.Duration("--duration", text));

    [Fact]
    public void Bad_arguments_are_refused_naming_the_option()
    {
        Assert.Contains("--bogus", Assert.Throws<FormatException>(() => SimulateCommand.Parse(["--bogus"])).Message, StringComparison.Ordinal);
        Assert.Contains("--clients", Assert.Throws<FormatException>(() => SimulateCommand.Parse(["--clients", "many"])).Message, StringComparison.Ordinal);
        Assert.Contains("--target", Assert.Throws<FormatException>(() => SimulateCommand.Parse(["--target", "ftp://x"])).Message, StringComparison.Ordinal);
        var options = SimulateCommand.Parse(["--clients", "0", "--admin-key", "k"]);
        Assert.Contains(options.Problems(), p => p.StartsWith("--clients", StringComparison.Ordinal));
    }

    [Fact]
    public void Zipf_popularity_falls_with_rank()
    {
        var zipf = new ZipfSampler(10, 1.0);
        var random = new Random(1);
        var counts = new int[10];
        for (var i = 0; i < 100_000; i++)
        {
            counts[zipf.Next(random)]++;
        }

        // Rank 1 is drawn about twice as often as rank 2 and ten times as often as rank 10 (1/r).
        Assert.InRange(counts[0] / (double)counts[1], 1.8, 2.2);
        Assert.InRange(counts[0] / (double)counts[9], 8.5, 11.5);
    }
}

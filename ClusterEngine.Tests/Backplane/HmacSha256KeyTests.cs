using System.Security.Cryptography;
using ClusterEngine.Backplane;

namespace ClusterEngine.Tests.Backplane;

/// <summary>The reusable per-thread HMAC of the request path gives exactly the one-shot HMAC-SHA256, from any thread.</summary>
public sealed class HmacSha256KeyTests
{
    [Fact]
    public void Every_mac_equals_the_one_shot_hmac_from_many_threads_at_once()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        using var reusable = new HmacSha256Key(key);
        var inputs = Enumerable.Range(0, 2_000).Select(i => RandomNumberGenerator.GetBytes(i % 300)).ToArray();

        var mismatches = 0;
        Parallel.For(0, inputs.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            Span<byte> mac = stackalloc byte[HmacSha256Key.MacBytes];
            reusable.Compute(inputs[i], mac);
            if (!mac.SequenceEqual(HMACSHA256.HashData(key, inputs[i])))
            {
                Interlocked.Increment(ref mismatches);
            }
        });

        Assert.Equal(0, mismatches);
    }

    [Fact]
    public void An_empty_key_or_a_short_destination_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new HmacSha256Key([]));
        using var key = new HmacSha256Key([1, 2, 3]);
        Assert.Throws<ArgumentException>(() => key.Compute([1], new byte[HmacSha256Key.MacBytes - 1]));
    }
}

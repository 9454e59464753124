using FsCheck.Xunit;
using static ClusterEngine.Tests.Mirroring.MirrorTestSupport;

namespace ClusterEngine.Tests.Properties;

/// <summary>
/// The mirror's bound and recency over random use: it holds the <c>max</c> most recently used keys, each with the
/// last validator recorded for it, in order of last use (a record or a vouched decision) — checked against a plain list.
/// </summary>
public sealed class CacheMirrorProperties
{
    [Property(MaxTest = 300)]
    public void The_mirror_keeps_the_most_recently_used_keys_with_their_last_values(byte[] operations, byte maxCode)
    {
        var max = 1 + maxCode % 6;
        var mirror = NewMirror(max);
        var model = new List<(string Key, ulong Validator)>(); // least recently used first
        foreach (var op in operations)
        {
            var key = $"k{op % 9}";
            var validator = (ulong)(op / 9 % 3);
            var at = model.FindIndex(e => e.Key == key);
            if (op % 2 == 0)
            {
                // Outside the mirror protocol: no lineage change, nothing dropped but by the bound.
                mirror.RecordTracked(TestClient, key, validator, 10, null, inProtocol: false, out _, null);
                if (at >= 0)
                {
                    model.RemoveAt(at);
                }
                else if (model.Count == max)
                {
                    model.RemoveAt(0);
                }

                model.Add((key, validator));
            }
            else
            {
                var sequence = mirror.CurrentSequence(TestClient);
                var decision = mirror.Decide(TestClient, key, validator, sequence);
                var vouched = at >= 0 && model[at].Validator == validator && sequence != 0;
                Assert.Equal(vouched, decision.UseCachedCopy);
                if (vouched)
                {
                    var used = model[at];
                    model.RemoveAt(at);
                    model.Add(used);
                }
            }
        }

        var expected = Enumerable.Reverse(model).Select(e => $"{e.Key}={e.Validator}");
        Assert.Equal(expected, mirror.Entries(TestClient).Select(e => $"{e.Key}={e.Validator}"));
        var whole = mirror.Whole(TestClient);
        Assert.Equal(model.Select(e => e.Key), whole?.Entries.Select(e => e.Key) ?? []);
    }
}

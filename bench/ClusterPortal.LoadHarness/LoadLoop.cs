using System.Diagnostics;

namespace ClusterPortal.LoadHarness;

/// <summary>Result of one timed round: requests answered as expected, the others, and the rate.</summary>
internal readonly record struct RoundResult(long Ok, long Failed, TimeSpan Elapsed)
{
    public double PerSecond => Ok / Elapsed.TotalSeconds;
}

/// <summary>
/// A closed-loop load generator: <c>workers</c> tasks each send one request, await the answer, and send the
/// next, until the duration is over. <c>send</c> gets a process-wide sequence number and says whether the
/// answer was the expected one.
/// </summary>
internal static class LoadLoop
{
    private static long s_sequence;

    public static async Task<RoundResult> RunAsync(int workers, TimeSpan duration, Func<long, Task<bool>> send)
    {
        long ok = 0, failed = 0;
        var stopwatch = Stopwatch.StartNew();
        var tasks = new Task[workers];
        for (var w = 0; w < workers; w++)
        {
            tasks[w] = Task.Run(async () =>
            {
                long myOk = 0, myFailed = 0;
                while (stopwatch.Elapsed < duration)
                {
                    try
                    {
                        if (await send(Interlocked.Increment(ref s_sequence)).ConfigureAwait(false))
                        {
                            myOk++;
                        }
                        else
                        {
                            myFailed++;
                        }
                    }
                    catch (HttpRequestException)
                    {
                        myFailed++;
                    }
                }

                Interlocked.Add(ref ok, myOk);
                Interlocked.Add(ref failed, myFailed);
            });
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        return new RoundResult(ok, failed, stopwatch.Elapsed);
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

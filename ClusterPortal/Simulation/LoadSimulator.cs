using System.Globalization;
using System.Text;
using ClusterPortal.Client;

namespace ClusterPortal.Simulation;

/// <summary>
/// Drives simulated devices against a cluster (docs/architecture.md §11): each a <see cref="ClusterClient"/> requesting the
/// run's items with Zipf popularity, now and then logging off and returning, while a share of the items is changed
/// at the origin (admin <c>PUT /api/items/{key}</c>). Runs in-process: the console command and the dashboard use
/// the same core; progress comes through <see cref="IProgress{T}"/> and <see cref="Current"/>.
/// </summary>
public sealed class LoadSimulator
{
    private readonly SimulationOptions _options;
    private readonly TimeProvider _time;
    private readonly List<ClusterClient> _clients = [];
    private readonly ZipfSampler _popularity;
    private readonly string _runId = Guid.NewGuid().ToString("n")[..8];
    private int _ran;
    private long _startedAt;
    private int _online;
    private long _failedOperations;
    private long _itemsChanged;
    private long _logOffs;
    private bool _finished;

    /// <summary>Creates a simulator; nothing runs until <see cref="RunAsync"/>.</summary>
    /// <param name="options">The run's settings.</param>
    /// <param name="time">Clock for the run's duration and progress, or null for the system clock.</param>
    /// <exception cref="ArgumentException">The settings are invalid; the message lists every problem.</exception>
    public LoadSimulator(SimulationOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Problems() is { Count: > 0 } problems)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _options = options;
        _time = time ?? TimeProvider.System;
        _popularity = new ZipfSampler(options.Items, options.ZipfExponent);
    }

    /// <summary>The item keys of this run, most popular first.</summary>
    public IReadOnlyList<string> Keys => [.. Enumerable.Range(0, _options.Items).Select(KeyOf)];

    /// <summary>Progress right now (thread-safe; poll it from a dashboard).</summary>
    public SimulationSnapshot Current
    {
        get
        {
            var stats = new ClusterClientStatistics();
            ClusterClient[] clients;
            lock (_clients)
            {
                clients = [.. _clients];
            }

            foreach (var s in clients.Select(c => c.Statistics))
            {
                stats = new(stats.Requests + s.Requests, stats.NotModified + s.NotModified, stats.BytesReceived + s.BytesReceived,
                    stats.BytesSaved + s.BytesSaved, stats.Failovers + s.Failovers, stats.Retries + s.Retries, stats.TokenRenewals + s.TokenRenewals,
                    stats.Errors + s.Errors, stats.Deltas + s.Deltas, stats.BytesSavedByDeltas + s.BytesSavedByDeltas);
            }

            var startedAt = Interlocked.Read(ref _startedAt);
            var elapsed = startedAt == 0 ? TimeSpan.Zero : _time.GetElapsedTime(startedAt);
            return new SimulationSnapshot(elapsed > _options.Duration && !Volatile.Read(ref _finished) ? _options.Duration : elapsed, _options.Duration,
                _options.Clients, Volatile.Read(ref _online), stats.Requests, stats.NotModified, stats.BytesReceived, stats.BytesSaved,
                stats.Failovers, stats.Retries, Interlocked.Read(ref _failedOperations), Interlocked.Read(ref _itemsChanged),
                Interlocked.Read(ref _logOffs), Volatile.Read(ref _finished), stats.Deltas, stats.BytesSavedByDeltas);
        }
    }

    /// <summary>Publishes the items, runs the devices for the duration, and returns the summary.</summary>
    /// <param name="progress">Receives a snapshot every <see cref="SimulationOptions.ProgressInterval"/> and the final one; may be null.</param>
    /// <param name="cancellationToken">Ends the run early (the summary covers what ran).</param>
    /// <returns>The final snapshot.</returns>
    /// <exception cref="ClusterClientException">The items could not be published (no node answered, or the admin key was refused).</exception>
    /// <exception cref="InvalidOperationException">The simulator was already run.</exception>
    public async Task<SimulationSnapshot> RunAsync(IProgress<SimulationSnapshot>? progress = null, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _ran, 1) != 0)
        {
            throw new InvalidOperationException("A simulator runs once; create another for the next run.");
        }

        using var handler = new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromMinutes(1), MaxConnectionsPerServer = 256 };
        using var origin = new SimulationOrigin(handler, _options);
        for (var rank = 0; rank < _options.Items; rank++)
        {
            await origin.PutAsync(KeyOf(rank), Content(rank, 0), cancellationToken);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Interlocked.Exchange(ref _startedAt, _time.GetTimestamp());
        var devices = Enumerable.Range(0, _options.Clients).Select(i => Task.Run(() => DeviceAsync(i, handler, stop.Token), CancellationToken.None)).ToList();
        var changer = Task.Run(() => ChangeItemsAsync(origin, stop.Token), CancellationToken.None);
        try
        {
            using var timer = new PeriodicTimer(_options.ProgressInterval, _time);
            while (_time.GetElapsedTime(_startedAt) < _options.Duration && await timer.WaitForNextTickAsync(cancellationToken))
            {
                progress?.Report(Current);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ended early: summarise what ran.
        }

        await stop.CancelAsync();
        await Task.WhenAll([.. devices, changer]);
        Volatile.Write(ref _finished, true);
        var summary = Current;
        progress?.Report(summary);
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        return summary;
    }

    private async Task DeviceAsync(int index, HttpMessageHandler handler, CancellationToken stop)
    {
        var options = new ClusterClientOptions
        {
            ClientId = string.Create(CultureInfo.InvariantCulture, $"{_options.ClientPrefix}-{_runId}-{index:d5}"),
            UseCacheMirror = _options.UseCacheMirror,
        };
        foreach (var url in _options.Target)
        {
            options.SharedAddress.Add(url);
        }

        var client = new ClusterClient(options, handler);
        lock (_clients)
        {
            _clients.Add(client);
        }

        var random = new Random(index);
        var online = false;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (!online)
                {
                    if (!await Operation(() => client.LogOnAsync(stop)))
                    {
                        await Task.Delay(_options.ThinkTime * 10, _time, stop);
                        continue;
                    }

                    online = true;
                    Interlocked.Increment(ref _online);
                }

                await Operation(() => client.GetItemAsync(KeyOf(_popularity.Next(random)), stop));
                if (random.NextDouble() < _options.LogOffChance && await Operation(() => client.LogOffAsync(stop)))
                {
                    // Away for a moment, then back (the next loop logs on again with the same token and cache).
                    online = false;
                    Interlocked.Decrement(ref _online);
                    Interlocked.Increment(ref _logOffs);
                    await Task.Delay(_options.ThinkTime * 10, _time, stop);
                    continue;
                }

                await Task.Delay(_options.ThinkTime, _time, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The run is over.
        }
        finally
        {
            if (online)
            {
                Interlocked.Decrement(ref _online);
            }
        }
    }

    /// <summary>Runs one device operation; a failure (after the client's own retries and failovers) is counted and the device carries on.</summary>
    private async Task<bool> Operation(Func<Task> operation)
    {
        try
        {
            await operation();
            return true;
        }
        catch (Exception ex) when (ex is ClusterClientException or InvalidOperationException)
        {
            Interlocked.Increment(ref _failedOperations);
            return false;
        }
    }

    private async Task ChangeItemsAsync(SimulationOrigin origin, CancellationToken stop)
    {
        var changes = (int)Math.Round(_options.Items * _options.ChangeShare);
        if (changes == 0)
        {
            return;
        }

        // On a fixed schedule from the start (change i at i × duration / (changes + 1)), so slow PUTs do not push later changes past the end.
        var every = _options.Duration / (changes + 1);
        var random = new Random(7);
        try
        {
            for (var change = 1; change <= changes; change++)
            {
                var due = every * change - _time.GetElapsedTime(Interlocked.Read(ref _startedAt));
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, _time, stop);
                }

                var rank = _popularity.Next(random);
                if (await origin.TryPutAsync(KeyOf(rank), Content(rank, change), stop))
                {
                    Interlocked.Increment(ref _itemsChanged);
                }
                else
                {
                    Interlocked.Increment(ref _failedOperations);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The run is over.
        }
    }

    private string KeyOf(int rank) => string.Create(CultureInfo.InvariantCulture, $"{_options.KeyPrefix}/{_runId}/item-{rank:d4}.txt");

    private byte[] Content(int rank, int version) => _options.SmallEdits ? JsonContent(rank, version) : TextContent(rank, version);

    /// <summary>A whole replacement: the size and every byte depend on the version.</summary>
    private byte[] TextContent(int rank, int version)
    {
        var size = Math.Max(1, _options.ItemBytes / 2 + (int)((uint)HashCode.Combine(rank, version) % (uint)_options.ItemBytes));
        var text = new StringBuilder(size + 64);
        text.Append(CultureInfo.InvariantCulture, $"item {rank} version {version}\n");
        while (text.Length < size)
        {
            text.Append((char)('a' + (text.Length * 7 + rank) % 26));
        }

        return Encoding.UTF8.GetBytes(text.ToString(0, size));
    }

    /// <summary>A small edit: a JSON document whose size and readings depend only on the item, and whose <c>version</c> field is the change.</summary>
    private byte[] JsonContent(int rank, int version)
    {
        var size = Math.Max(128, _options.ItemBytes / 2 + (int)((uint)HashCode.Combine(rank) % (uint)_options.ItemBytes));
        var random = new Random(rank);
        var json = new StringBuilder(size + 64);
        json.Append(CultureInfo.InvariantCulture, $"{{\"item\":{rank},\"version\":{version},\"readings\":[");
        while (json.Length < size - 32)
        {
            json.Append(CultureInfo.InvariantCulture, $"{{\"t\":{random.Next(1_000_000, 9_999_999)},\"v\":{random.Next(0, 100_000)}}},");
        }

        json.Length--;
        return Encoding.UTF8.GetBytes(json.Append("]}").ToString());
    }
}

using ClusterEngine.Changes;
using ClusterPortal.Dashboard;
using Microsoft.AspNetCore.Components;

namespace ClusterPortal.Components.Dashboard;

/// <summary>
/// Base of live pages: holds the latest <see cref="DashboardSample"/> and re-renders when the shared
/// <see cref="DashboardSampler"/> takes a new one (pushed; the page itself polls nothing).
/// </summary>
public abstract class SampledComponent : ComponentBase, IDisposable
{
    [Inject]
    private DashboardSampler Sampler { get; set; } = default!;

    [Inject]
    private ClusterChanges Changes { get; set; } = default!;

    private IDisposable? _subscription;

    /// <summary>The latest sample.</summary>
    protected DashboardSample Sample { get; private set; } = DashboardSample.Empty;

    /// <summary>The sampler (history for charts).</summary>
    protected DashboardSampler Samples => Sampler;

    /// <inheritdoc />
    protected override void OnInitialized()
    {
        Sample = Sampler.Current;
        _subscription = Changes.Subscribe(OnChange);
    }

    /// <summary>Called on the renderer's context with each new sample, before rendering.</summary>
    protected virtual void OnSample(DashboardSample sample)
    {
    }

    private void OnChange(ClusterChange change)
    {
        if (change is DashboardSampled { Sample: var sample })
        {
            _ = InvokeAsync(() =>
            {
                Sample = sample;
                OnSample(sample);
                StateHasChanged();
            });
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _subscription?.Dispose();
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what a derived page holds.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}

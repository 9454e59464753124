using ClusterEngine.Origin;

namespace ClusterEngine.Tests.Origin;

public sealed class OriginOptionsValidatorTests
{
    private readonly OriginOptionsValidator _validator = new();

    [Fact]
    public void A_file_system_origin_needs_an_existing_root()
    {
        Assert.Equal(
            ["Origin:Root is required when Origin:Kind is FileSystem"],
            _validator.Validate(null, new OriginOptions()).Failures);
        Assert.Equal(
            ["Origin:Root must be an existing directory (was '/no/such/dir')"],
            _validator.Validate(null, new OriginOptions { Root = "/no/such/dir" }).Failures);
        Assert.True(_validator.Validate(null, new OriginOptions { Root = Path.GetTempPath() }).Succeeded);
    }

    [Fact]
    public void An_http_origin_needs_an_absolute_http_url()
    {
        Assert.Equal(
            ["Origin:BaseUrl must be an absolute http or https URL when Origin:Kind is Http (was 'ftp://x/')"],
            _validator.Validate(null, new OriginOptions { Kind = OriginKind.Http, BaseUrl = new Uri("ftp://x/") }).Failures);
        Assert.True(_validator.Validate(null, new OriginOptions { Kind = OriginKind.Http, BaseUrl = new Uri("https://api.example/") }).Succeeded);
    }

    [Fact]
    public void Sizes_and_intervals_out_of_range_name_their_keys()
    {
        var result = _validator.Validate(null, new OriginOptions
        {
            Root = Path.GetTempPath(),
            CacheBytes = -1,
            RevalidateInterval = TimeSpan.FromHours(2),
            MaxItemBytes = 0,
        });

        Assert.Equal(
            [
                "Origin:CacheBytes must be between 0 and 17179869184 (was -1)",
                "Origin:RevalidateInterval must be between 00:00:00 and 01:00:00 (was 02:00:00)",
                "Origin:MaxItemBytes must be between 1 and 1073741824 (was 0)",
            ],
            result.Failures);
    }

    [Fact]
    public void Defaults_are_the_documented_values()
    {
        var options = new OriginOptions();

        Assert.Equal(OriginKind.FileSystem, options.Kind);
        Assert.Equal(64L * 1024 * 1024, options.CacheBytes);
        Assert.Equal(TimeSpan.FromSeconds(1), options.RevalidateInterval);
    }
}

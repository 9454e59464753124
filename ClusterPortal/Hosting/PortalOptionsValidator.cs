using Microsoft.Extensions.Options;

namespace ClusterPortal.Hosting;

/// <summary>Validates <see cref="PortalOptions"/>; messages name the configuration key.</summary>
internal sealed class PortalOptionsValidator : IValidateOptions<PortalOptions>
{
    public ValidateOptionsResult Validate(string? name, PortalOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(options.AdminKey) || options.AdminKey.Length < 16)
        {
            errors.Add("Portal:AdminKey is required and must be at least 16 characters.");
        }

        if (options.TokenLifetime <= TimeSpan.Zero)
        {
            errors.Add($"Portal:TokenLifetime must be positive (was '{options.TokenLifetime}').");
        }

        if (options.SessionRateLimit <= 0)
        {
            errors.Add($"Portal:SessionRateLimit must be greater than 0 (was '{options.SessionRateLimit}').");
        }

        if (options.MaxRequestBodyBytes <= 0)
        {
            errors.Add($"Portal:MaxRequestBodyBytes must be greater than 0 (was '{options.MaxRequestBodyBytes}').");
        }

        if (options.AuthFailureLimit is < 1 or > 1_000_000)
        {
            errors.Add($"Portal:AuthFailureLimit must be between 1 and 1000000 (was '{options.AuthFailureLimit}').");
        }

        if (options.AuthFailureWindow < TimeSpan.FromSeconds(1) || options.AuthFailureWindow > TimeSpan.FromDays(1))
        {
            errors.Add($"Portal:AuthFailureWindow must be between 00:00:01 and 1.00:00:00 (was '{options.AuthFailureWindow}').");
        }

        if (!Enum.IsDefined(options.AnonymousView))
        {
            errors.Add($"Portal:AnonymousView must be one of {string.Join(", ", Enum.GetNames<AnonymousView>())} (was '{(int)options.AnonymousView}').");
        }

        if (options.Http2Port is < 1 or > 65535)
        {
            errors.Add($"Portal:Http2Port must be a TCP port from 1 to 65535 (was '{options.Http2Port}').");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

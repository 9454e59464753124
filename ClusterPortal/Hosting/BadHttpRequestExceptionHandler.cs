using Microsoft.AspNetCore.Diagnostics;

namespace ClusterPortal.Hosting;

/// <summary>
/// Turns <see cref="BadHttpRequestException"/> (body over <c>Portal:MaxRequestBodyBytes</c> → 413,
/// malformed request → 400) into a problem-details answer with its own status, never a 500.
/// </summary>
internal sealed class BadHttpRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        httpContext.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails =
            {
                Status = bad.StatusCode,
                Title = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request body too large" : "Bad request",
                Detail = bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? "The request body exceeds Portal:MaxRequestBodyBytes."
                    : bad.Message,
            },
        });
    }
}

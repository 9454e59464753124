using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;

namespace ClusterPortal.Hosting;

/// <summary>
/// Turns <see cref="BadHttpRequestException"/> (body over <c>Portal:MaxRequestBodyBytes</c> → 413,
/// malformed request → 400, body not sent in time → 408, a body of another media type → 415) into a problem-details answer with its own
/// status, never a 500. A body that is not the expected JSON or a query value of the wrong type names
/// the field in <c>errors</c>, as the validation problems of the API do (<c>{"errors":{"mode":["…"]}}</c>).
/// </summary>
internal sealed partial class BadHttpRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (UnsupportedMediaType.IsUnreadableBody(exception))
        {
            // A charset .NET does not know (application/json; charset=foo): the JSON binding throws this, not a
            // BadHttpRequestException, and it answered 500 (found by attack).
            exception = new BadHttpRequestException(exception.Message, StatusCodes.Status415UnsupportedMediaType, exception);
        }

        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        httpContext.Response.StatusCode = bad.StatusCode;
        var context = new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails =
            {
                Status = bad.StatusCode,
                Title = bad.StatusCode switch
                {
                    StatusCodes.Status413PayloadTooLarge => "Request body too large",
                    StatusCodes.Status408RequestTimeout => "Request timeout",
                    StatusCodes.Status415UnsupportedMediaType => "Unsupported Media Type",
                    _ => "Bad request",
                },
                Detail = bad.StatusCode switch
                {
                    StatusCodes.Status413PayloadTooLarge => "The request body exceeds Portal:MaxRequestBodyBytes.",
                    StatusCodes.Status415UnsupportedMediaType => null, // UnsupportedMediaType names the header
                    _ => bad.Message,
                },
            },
        };
        if (bad.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            // The form binding says "Expected a supported form media type": name the form's types, not JSON.
            UnsupportedMediaType.AddDetail(context, bad.Message.Contains("form media type", StringComparison.Ordinal) ? UnsupportedMediaType.FormTypes : null);
        }

        if (bad.StatusCode == StatusCodes.Status400BadRequest && Field(bad) is { } field)
        {
            var message = bad.InnerException is JsonException ? NotValid(httpContext, field) : bad.Message;
            context.ProblemDetails.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [message] };
        }

        return await problems.TryWriteAsync(context);
    }

    /// <summary>The field a binding failure is about: the JSON path of a bad body value (<c>$.mode</c> → <c>mode</c>), else the parameter's name.</summary>
    internal static string? Field(BadHttpRequestException bad)
    {
        if (bad.InnerException is JsonException { Path: { Length: > 0 } path })
        {
            var name = path.TrimStart('$').TrimStart('.');
            return name.Length > 0 ? name : "body";
        }

        if (bad.InnerException is JsonException)
        {
            return "body";
        }

        var match = ParameterName().Match(bad.Message);
        return match.Success ? (match.Groups["name"].Value.EndsWith("body", StringComparison.Ordinal) ? "body" : match.Groups["name"].Value) : null;
    }

    /// <summary>
    /// The message for a body value that is not the field's type: what the field takes, from the endpoint's declared body
    /// type (<c>mode</c> of a node change → "expected one of Active, Maintenance"); the serializer's own message named
    /// the request's CLR type, which tells an operator nothing.
    /// </summary>
    internal static string NotValid(HttpContext http, string field)
    {
        // The exception handler clears the endpoint before handlers run; the feature keeps the one that failed.
        var endpoint = http.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? http.GetEndpoint();
        var body = endpoint?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>()?.RequestType;
        var property = field.Contains('.', StringComparison.Ordinal) || field.Contains('[', StringComparison.Ordinal) ? null
            : body?.GetProperty(field, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase);
        var type = property is null ? null : Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        var expected = type switch
        {
            null => null,
            { IsEnum: true } => "one of " + string.Join(", ", Enum.GetNames(type)),
            _ when type == typeof(string) => "a string",
            _ when type == typeof(bool) => "true or false",
            _ when type == typeof(int) || type == typeof(long) => "a whole number",
            _ when type == typeof(double) || type == typeof(decimal) => "a number",
            _ => null,
        };
        return expected is null ? "Not a valid value here." : $"Not a valid value here: expected {expected}.";
    }

    [GeneratedRegex("parameter \"(?:[^\" ]+ )?(?<name>[A-Za-z0-9_]+)\"")]
    private static partial Regex ParameterName();
}

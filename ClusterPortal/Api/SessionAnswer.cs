using System.Buffers;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ClusterPortal.Client.Contract;
using Microsoft.AspNetCore.Http.Metadata;

namespace ClusterPortal.Api;

/// <summary>
/// An announce's success: <c>201 Created</c> with <c>Location</c> (a new client) or <c>200 OK</c> (a renewal), the body a
/// <see cref="SessionResponse"/> in the node's JSON (the type info of <c>ConfigureHttpJsonOptions</c>, i.e. the contract's,
/// <see cref="ContractJson"/>), sent with a <c>Content-Length</c>. The framework's <c>TypedResults.Created</c> / <c>Ok</c>
/// asked the request's services for a logger factory and the JSON options on every announce (a request service scope)
/// and serialized asynchronously (a resumable write stack, and a chunked body); the body is a few hundred bytes, so it is
/// serialized at once into a per-thread buffer and copied to the response (README "Data path figures", new sessions).
/// </summary>
/// <param name="status">201 or 200.</param>
/// <param name="location">The <c>Location</c> of a 201 (the client's path), else null.</param>
/// <param name="body">The session.</param>
/// <param name="typeInfo">How the node writes a <see cref="SessionResponse"/>.</param>
internal sealed class SessionAnswer(int status, string? location, SessionResponse body, JsonTypeInfo<SessionResponse> typeInfo)
    : IResult, IStatusCodeHttpResult, IValueHttpResult<SessionResponse>, IEndpointMetadataProvider
{
    private const string JsonContentType = "application/json; charset=utf-8";

    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer, JsonSerializerOptions Options)? t_json;

    /// <summary>201 or 200.</summary>
    public int StatusCode => status;

    int? IStatusCodeHttpResult.StatusCode => status;

    /// <summary>The session sent.</summary>
    public SessionResponse Value => body;

    /// <summary>The <c>Location</c> of a 201, else null.</summary>
    public string? Location => location;

    /// <inheritdoc />
    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        if (t_json is not { } json || !ReferenceEquals(json.Options, typeInfo.Options))
        {
            t_json = json = NewJson(typeInfo.Options);
        }

        var (buffer, writer, _) = json;
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        JsonSerializer.Serialize(writer, body, typeInfo);
        writer.Flush();

        response.StatusCode = status;
        if (location is not null)
        {
            response.Headers.Location = location;
        }

        response.ContentType = JsonContentType;
        response.ContentLength = buffer.WrittenCount;
        response.BodyWriter.Write(buffer.WrittenSpan); // copied into the response pipe now: the buffer is free for this thread again
        return response.BodyWriter.FlushAsync(httpContext.RequestAborted).AsTask();
    }

    /// <summary>Describes the 201 and the 200 with their <see cref="SessionResponse"/> body for OpenAPI, as <c>Created&lt;T&gt;</c> and <c>Ok&lt;T&gt;</c> do.</summary>
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status201Created, typeof(SessionResponse), ["application/json"]));
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(SessionResponse), ["application/json"]));
    }

    /// <summary>A buffer and a writer with the writer settings the serializer would use for <paramref name="options"/>.</summary>
    private static (ArrayBufferWriter<byte>, Utf8JsonWriter, JsonSerializerOptions) NewJson(JsonSerializerOptions options)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            Encoder = options.Encoder, Indented = options.WriteIndented, MaxDepth = options.MaxDepth, SkipValidation = true,
        });
        return (buffer, writer, options);
    }
}

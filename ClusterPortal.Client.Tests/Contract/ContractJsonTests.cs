using System.Text.Json;
using ClusterPortal.Client.Contract;

namespace ClusterPortal.Client.Tests.Contract;

/// <summary>
/// The wire format of the client API bodies stays byte-identical: the bodies documented in the repository README
/// ("The two commands", "For client authors", "API") read into the contract types and write back unchanged.
/// </summary>
public sealed class ContractJsonTests
{
    private const string Primary = """{"nodeId":"node-1","url":"http://127.0.0.1:5101"}""";
    private const string Alternate = """{"nodeId":"node-2","url":"http://127.0.0.1:5102"}""";

    [Fact]
    public void Session_request_of_the_readme_round_trips()
    {
        const string Body = """{"clientId":"device-0001"}""";

        var request = RoundTrip<SessionRequest>(Body);

        Assert.Equal("device-0001", request.ClientId);
        Assert.Null(request.RetryKey);
    }

    [Fact]
    public void Session_request_with_a_retry_key_round_trips_and_new_keys_are_valid_and_distinct()
    {
        var key = RetryKeys.New();
        var body = $$"""{"clientId":"device-0001","retryKey":"{{key}}"}""";

        var request = RoundTrip<SessionRequest>(body);

        Assert.Equal(key, request.RetryKey);
        Assert.Null(RetryKeys.Problem(key));
        Assert.NotEqual(key, RetryKeys.New());
        Assert.NotNull(RetryKeys.Problem("too-short"));
        Assert.NotNull(RetryKeys.Problem(new string('k', RetryKeys.MaxLength + 1)));
        Assert.NotNull(RetryKeys.Problem("no spaces allowed in keys 01"));
        Assert.Null(RetryKeys.Problem(null));
    }

    [Theory]
    [InlineData("null")]
    [InlineData(Alternate)]
    public void Session_answers_of_the_readme_round_trip_with_and_without_an_alternate(string alternate)
    {
        var body = $$"""{"clientId":"device-0001","primary":{{Primary}},"alternate":{{alternate}},"bounces":0,"token":"device-0001.1798598303._bqo","tokenExpiresAt":"2026-12-30T02:38:23+00:00"}""";

        var session = RoundTrip<SessionResponse>(body);

        Assert.Equal(new NodeRef("node-1", "http://127.0.0.1:5101"), session.Primary);
        Assert.Equal(alternate == "null" ? null : new NodeRef("node-2", "http://127.0.0.1:5102"), session.Alternate);
        Assert.Equal(new DateTimeOffset(2026, 12, 30, 2, 38, 23, TimeSpan.Zero), session.TokenExpiresAt);
    }

    [Fact]
    public void Client_answer_round_trips_with_its_version_text()
    {
        var body = $$"""{"clientId":"device-0001","primary":{{Primary}},"alternate":{{Alternate}},"version":"7@node-2","bounces":1}""";

        var client = RoundTrip<ClientResponse>(body);

        Assert.Equal("7@node-2", client.Version);
        Assert.Equal(1, client.Bounces);
    }

    [Fact]
    public void A_problem_answer_is_read_with_its_field_errors_and_extra_members_are_ignored()
    {
        const string Body = """
            {"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"Invalid clientId","status":400,
             "errors":{"clientId":["clientId is required."]},"traceId":"00-abc-01"}
            """;

        var problem = JsonSerializer.Deserialize<ApiProblem>(Body, ContractJson.Options)!;

        Assert.Equal(400, problem.Status);
        Assert.Equal(["clientId is required."], problem.Errors!["clientId"]);
        Assert.Equal("Invalid clientId: clientId: clientId is required.", problem.ToString());
    }

    [Fact]
    public void Enums_travel_as_their_names()
    {
        Assert.Equal("\"Monday\"", JsonSerializer.Serialize(DayOfWeek.Monday, ContractJson.Options));
        Assert.Equal(DayOfWeek.Friday, JsonSerializer.Deserialize<DayOfWeek>("\"Friday\"", ContractJson.Options));
    }

    private static T RoundTrip<T>(string body)
    {
        var value = JsonSerializer.Deserialize<T>(body, ContractJson.Options)!;
        Assert.Equal(body, JsonSerializer.Serialize(value, ContractJson.Options));
        return value;
    }
}

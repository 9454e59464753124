using Bunit;
using ClusterPortal.Components.Dashboard;
using ClusterPortal.Components.Pages;
using ClusterPortal.Dashboard;

namespace ClusterPortal.Tests.Components;

/// <summary>Nodes page and its admin forms: read-only without login, validation, the server's errors, confirmation.</summary>
public sealed class NodesPageTests
{
    [Fact]
    public async Task Without_admin_login_the_table_is_read_only()
    {
        await using var ctx = new DashboardTestContext(admin: false);

        var cut = ctx.Render<Nodes>();

        Assert.Equal(3, cut.FindAll("[data-node-row]").Count);
        Assert.NotNull(cut.Find("#read-only"));
        Assert.Empty(cut.FindAll("#add-node-form"));
        Assert.Empty(cut.FindAll("#remove-node-2"));
    }

    [Fact]
    public async Task The_add_form_shows_field_validation_and_sends_nothing_while_invalid()
    {
        await using var ctx = new DashboardTestContext(admin: true);
        var cut = ctx.Render<AddNodeForm>();

        cut.Find("#add-url").Input("http://user:secret@10.0.0.4:5000"); // a credential in a node's URL would be shown to every viewer
        cut.Find("#add-capacity").Input("0");
        cut.Find("#add-submit").Click();

        cut.WaitForAssertion(() =>
        {
            Assert.Contains(AddNodeForm.UrlRule, cut.Markup);
            Assert.Contains(AddNodeForm.CapacityRule, cut.Markup);
        });
        Assert.Empty(ctx.Admin.Calls);
    }

    [Fact]
    public async Task The_add_form_shows_the_servers_refusal()
    {
        await using var ctx = new DashboardTestContext(admin: true);
        ctx.Admin.Next = new AdminOutcome(false, "A member with URL http://127.0.0.1:5102 (or the same node id) is already in the cluster.",
            new Dictionary<string, string[]>(), 409);
        var cut = ctx.Render<AddNodeForm>();

        cut.Find("#add-url").Input("http://127.0.0.1:5102");
        cut.Find("#add-capacity").Input("50");
        cut.Find("#add-submit").Click();

        cut.WaitForAssertion(() => Assert.Contains("already in the cluster. (HTTP 409)", cut.Find("#add-error").TextContent));
        Assert.Equal(["add http://127.0.0.1:5102 50 "], ctx.Admin.Calls);
    }

    [Fact]
    public async Task The_add_form_reports_success()
    {
        await using var ctx = new DashboardTestContext(admin: true);
        var cut = ctx.Render<AddNodeForm>();

        cut.Find("#add-url").Input("http://127.0.0.1:5104");
        cut.Find("#add-capacity").Input("500");
        cut.Find("#add-name").Change("Fourth");
        cut.Find("#add-submit").Click();

        cut.WaitForAssertion(() => Assert.Contains("Added http://127.0.0.1:5104", cut.Find("#add-ok").TextContent));
        Assert.Equal(["add http://127.0.0.1:5104 500 Fourth"], ctx.Admin.Calls);
        Assert.DoesNotContain("URL is required.", cut.Markup); // the emptied form is not flagged
    }

    [Fact]
    public async Task Admin_changes_capacity_and_maintenance_from_the_table()
    {
        await using var ctx = new DashboardTestContext(admin: true);
        var cut = ctx.Render<Nodes>();

        cut.Find("#capacity-node-2").Change("250");
        cut.Find("#set-capacity-node-2").Click();
        cut.Find("#maintenance-node-3").Click();

        Assert.Equal(["update node-2 250 ", "update node-3  Maintenance"], ctx.Admin.Calls);
        Assert.Contains("node-3 is now in maintenance", cut.Find("#node-action-result").TextContent);
    }

    [Fact]
    public async Task Remove_asks_for_confirmation_first()
    {
        await using var ctx = new DashboardTestContext(admin: true);
        var provider = ctx.Render<MudBlazor.MudDialogProvider>();
        var cut = ctx.Render<Nodes>();

        cut.Find("#remove-node-3").Click();
        provider.WaitForAssertion(() => Assert.Contains("Remove node-3 from the cluster?", provider.Markup));
        Assert.Empty(ctx.Admin.Calls);
        provider.FindAll("button").First(b => b.TextContent.Trim() == "Remove").Click();

        cut.WaitForAssertion(() => Assert.Equal(["remove node-3"], ctx.Admin.Calls));
    }
}

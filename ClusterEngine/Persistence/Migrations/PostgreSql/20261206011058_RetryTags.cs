using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ClusterEngine.Persistence.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class RetryTags : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "RetryTags",
                columns: table => new
                {
                    ClientId = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Tag = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    ClaimId = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    GrantedAtUtc = table.Column<long>(type: "bigint", nullable: false),
                    UntilUtc = table.Column<long>(type: "bigint", nullable: false),
                    Registration = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RetryTags", x => x.ClientId);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "RetryTags");
        }
    }
}

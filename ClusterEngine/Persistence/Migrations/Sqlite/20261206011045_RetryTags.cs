using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ClusterEngine.Persistence.Migrations.Sqlite
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
                    ClientId = table.Column<string>(type: "TEXT", nullable: false),
                    Tag = table.Column<string>(type: "TEXT", nullable: false),
                    ClaimId = table.Column<string>(type: "TEXT", nullable: false),
                    GrantedAtUtc = table.Column<long>(type: "INTEGER", nullable: false),
                    UntilUtc = table.Column<long>(type: "INTEGER", nullable: false),
                    Registration = table.Column<long>(type: "INTEGER", nullable: false)
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

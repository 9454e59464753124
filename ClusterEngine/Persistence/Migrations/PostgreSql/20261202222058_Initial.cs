using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ClusterEngine.Persistence.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Assignments",
                columns: table => new
                {
                    ClientId = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Primary = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    Alternate = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    VersionCounter = table.Column<long>(type: "bigint", nullable: false),
                    VersionNodeId = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Bounces = table.Column<int>(type: "integer", nullable: false),
                    Reason = table.Column<int>(type: "integer", nullable: false),
                    LastSeenUtc = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Assignments", x => x.ClientId);
                });

            migrationBuilder.CreateTable(
                name: "Members",
                columns: table => new
                {
                    NodeId = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Url = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Name = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Capacity = table.Column<int>(type: "integer", nullable: false),
                    Order = table.Column<long>(type: "bigint", nullable: false),
                    Mode = table.Column<int>(type: "integer", nullable: false),
                    Removed = table.Column<bool>(type: "boolean", nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false),
                    VersionNodeId = table.Column<string>(type: "text", nullable: false, collation: "C")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Members", x => x.NodeId);
                });

            migrationBuilder.CreateTable(
                name: "MirrorClients",
                columns: table => new
                {
                    ClientId = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Sequence = table.Column<long>(type: "bigint", nullable: false),
                    SyncedSequence = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MirrorClients", x => x.ClientId);
                });

            migrationBuilder.CreateTable(
                name: "MirrorEntries",
                columns: table => new
                {
                    ClientId = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Key = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Validator = table.Column<long>(type: "bigint", nullable: false),
                    Size = table.Column<long>(type: "bigint", nullable: false),
                    Sequence = table.Column<long>(type: "bigint", nullable: false),
                    LastUsedUtc = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MirrorEntries", x => new { x.ClientId, x.Key });
                });

            migrationBuilder.CreateIndex(
                name: "IX_MirrorEntries_ClientId",
                table: "MirrorEntries",
                column: "ClientId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Assignments");

            migrationBuilder.DropTable(
                name: "Members");

            migrationBuilder.DropTable(
                name: "MirrorClients");

            migrationBuilder.DropTable(
                name: "MirrorEntries");
        }
    }
}

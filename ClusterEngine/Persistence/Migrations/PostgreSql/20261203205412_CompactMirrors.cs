using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ClusterEngine.Persistence.Migrations.PostgreSql
{
    /// <summary>
    /// Mirrors become one row per client (table <c>Mirrors</c>, entries packed; docs/persistence.md, "Mirrors: one row per
    /// client") instead of one row per entry plus a sequence row. The old rows are dropped, not converted: a node upgraded
    /// across this migration starts with empty mirrors once, so its clients get whole items (never a wrong 304) until their
    /// mirrors fill again.
    /// </summary>
    public partial class CompactMirrors : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "MirrorClients");

            migrationBuilder.DropTable(
                name: "MirrorEntries");

            migrationBuilder.CreateTable(
                name: "Mirrors",
                columns: table => new
                {
                    ClientId = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    Sequence = table.Column<long>(type: "bigint", nullable: false),
                    Entries = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Mirrors", x => x.ClientId);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Mirrors");

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
                    LastUsedUtc = table.Column<long>(type: "bigint", nullable: false),
                    Sequence = table.Column<long>(type: "bigint", nullable: false),
                    Size = table.Column<long>(type: "bigint", nullable: false),
                    Validator = table.Column<long>(type: "bigint", nullable: false)
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
    }
}

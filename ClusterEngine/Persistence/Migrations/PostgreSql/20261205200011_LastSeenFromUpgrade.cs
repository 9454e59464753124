using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ClusterEngine.Persistence.Migrations.PostgreSql
{
    /// <summary>
    /// Restarts read the stored <c>LastSeenUtc</c> as the client's last sighting (docs/architecture.md §5). Before, it held
    /// the time of the assignment's last change and was never read; taken as a sighting it would make a client seen every
    /// day but placed weeks ago idle at once. Every live row starts from the upgrade instead, as a restart counted it.
    /// </summary>
    public partial class LastSeenFromUpgrade : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""UPDATE "Assignments" SET "LastSeenUtc" = CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS bigint) WHERE "Primary" IS NOT NULL;""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Nothing to undo: the times stay valid for the build before, which never reads them.
        }
    }
}

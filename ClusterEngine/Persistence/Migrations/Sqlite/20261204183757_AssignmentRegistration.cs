using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ClusterEngine.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AssignmentRegistration : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "Registration",
                table: "Assignments",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Registration",
                table: "Assignments");
        }
    }
}

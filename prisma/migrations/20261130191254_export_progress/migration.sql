-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_export" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "format" TEXT NOT NULL,
    "exporter_version" TEXT NOT NULL,
    "policy_id" TEXT NOT NULL,
    "policy_version" TEXT NOT NULL,
    "filter" TEXT NOT NULL,
    "options" TEXT NOT NULL,
    "split" TEXT,
    "status" TEXT NOT NULL,
    "row_count" INTEGER,
    "file_key" TEXT,
    "byte_size" INTEGER,
    "sha256" TEXT,
    "manifest" TEXT,
    "error" TEXT,
    "created_by" TEXT NOT NULL,
    "owner_token_id" INTEGER,
    "profile" TEXT NOT NULL DEFAULT 'safe-harbor',
    "heartbeat_at" DATETIME,
    "rows_done" INTEGER NOT NULL DEFAULT 0,
    "rows_total" INTEGER,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" DATETIME
);
INSERT INTO "new_export" ("byte_size", "created_at", "created_by", "error", "exporter_version", "file_key", "filter", "finished_at", "format", "heartbeat_at", "id", "manifest", "options", "owner_token_id", "policy_id", "policy_version", "profile", "row_count", "sha256", "split", "status") SELECT "byte_size", "created_at", "created_by", "error", "exporter_version", "file_key", "filter", "finished_at", "format", "heartbeat_at", "id", "manifest", "options", "owner_token_id", "policy_id", "policy_version", "profile", "row_count", "sha256", "split", "status" FROM "export";
DROP TABLE "export";
ALTER TABLE "new_export" RENAME TO "export";
CREATE INDEX "export_owner_token_id_created_at_idx" ON "export"("owner_token_id", "created_at");
CREATE INDEX "export_status_created_at_idx" ON "export"("status", "created_at");
CREATE INDEX "export_status_heartbeat_at_idx" ON "export"("status", "heartbeat_at");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateTable
CREATE TABLE "export" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "format" TEXT NOT NULL,
    "exporter_version" TEXT NOT NULL,
    "policy_id" TEXT NOT NULL,
    "policy_version" TEXT NOT NULL,
    "filter" TEXT NOT NULL,
    "options" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "row_count" INTEGER,
    "file_key" TEXT,
    "byte_size" INTEGER,
    "sha256" TEXT,
    "manifest" TEXT,
    "error" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" DATETIME
);

-- AlterTable
ALTER TABLE "export" ADD COLUMN     "rows_done" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "rows_total" INTEGER;

-- CreateIndex
CREATE INDEX "export_status_created_at_idx" ON "export"("status", "created_at");

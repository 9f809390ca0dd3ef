-- AlterTable
ALTER TABLE "export" ADD COLUMN     "heartbeat_at" TIMESTAMP(3),
ADD COLUMN     "owner_token_id" INTEGER,
ADD COLUMN     "profile" TEXT NOT NULL DEFAULT 'safe-harbor';
-- Exports written before profiles existed carry exact ages and dates: they are stamped as such.
UPDATE "export" SET "profile" = 'limited';

-- CreateIndex
CREATE INDEX "export_owner_token_id_created_at_idx" ON "export"("owner_token_id", "created_at");

-- CreateIndex
CREATE INDEX "export_status_heartbeat_at_idx" ON "export"("status", "heartbeat_at");

-- AlterTable
ALTER TABLE "image" ADD COLUMN     "review_count" INTEGER NOT NULL DEFAULT 0;

-- Backfill: the reviews already recorded
UPDATE "image" SET "review_count" = (SELECT COUNT(*) FROM "expert_review" r WHERE r."image_id" = "image"."id");

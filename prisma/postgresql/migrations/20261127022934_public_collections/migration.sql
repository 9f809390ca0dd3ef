-- AlterTable
ALTER TABLE "image" ALTER COLUMN "image_quality_score" DROP NOT NULL,
ALTER COLUMN "acquired_at" DROP NOT NULL;

-- AlterTable
ALTER TABLE "image" ADD COLUMN "highlight_share" REAL;
ALTER TABLE "image" ADD COLUMN "mean_luminance" REAL;

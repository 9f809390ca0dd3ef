-- AlterTable
ALTER TABLE "image" ADD COLUMN     "highlight_share" DOUBLE PRECISION,
ADD COLUMN     "mean_luminance" DOUBLE PRECISION;

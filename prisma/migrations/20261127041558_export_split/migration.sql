-- AlterTable
ALTER TABLE "export" ADD COLUMN "split" TEXT;

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_image" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "patient_id" INTEGER NOT NULL,
    "lesion_id" INTEGER NOT NULL,
    "age_at_exam_raw" TEXT,
    "age_at_exam" INTEGER,
    "anatomical_site" TEXT,
    "lesion_diameter_mm" REAL,
    "elevation" TEXT,
    "border_regularity" TEXT,
    "clinical_diagnosis_raw" TEXT NOT NULL,
    "diagnosis_class" TEXT NOT NULL,
    "histopathology_result" TEXT,
    "verification_stage" TEXT NOT NULL DEFAULT 'INITIAL',
    "examiner_code" TEXT,
    "image_quality_score" INTEGER,
    "sha256" TEXT NOT NULL,
    "pixel_hash" TEXT NOT NULL,
    "phash" TEXT NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "format" TEXT NOT NULL,
    "byte_size" INTEGER NOT NULL,
    "storage_key" TEXT NOT NULL,
    "thumbnail_key" TEXT NOT NULL,
    "acquired_at" DATETIME,
    "sharpness" REAL NOT NULL,
    "clipped_share" REAL NOT NULL,
    "glare_share" REAL NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "review_count" INTEGER NOT NULL DEFAULT 0,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" DATETIME NOT NULL,
    CONSTRAINT "image_patient_id_fkey" FOREIGN KEY ("patient_id") REFERENCES "patient" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "image_lesion_id_fkey" FOREIGN KEY ("lesion_id") REFERENCES "lesion" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_image" ("acquired_at", "age_at_exam", "age_at_exam_raw", "anatomical_site", "border_regularity", "byte_size", "clinical_diagnosis_raw", "clipped_share", "created_at", "diagnosis_class", "elevation", "examiner_code", "format", "glare_share", "height", "histopathology_result", "id", "image_quality_score", "lesion_diameter_mm", "lesion_id", "patient_id", "phash", "pixel_hash", "sha256", "sharpness", "storage_key", "thumbnail_key", "updated_at", "verification_stage", "version", "width") SELECT "acquired_at", "age_at_exam", "age_at_exam_raw", "anatomical_site", "border_regularity", "byte_size", "clinical_diagnosis_raw", "clipped_share", "created_at", "diagnosis_class", "elevation", "examiner_code", "format", "glare_share", "height", "histopathology_result", "id", "image_quality_score", "lesion_diameter_mm", "lesion_id", "patient_id", "phash", "pixel_hash", "sha256", "sharpness", "storage_key", "thumbnail_key", "updated_at", "verification_stage", "version", "width" FROM "image";
DROP TABLE "image";
ALTER TABLE "new_image" RENAME TO "image";
CREATE UNIQUE INDEX "image_sha256_key" ON "image"("sha256");
CREATE UNIQUE INDEX "image_pixel_hash_key" ON "image"("pixel_hash");
CREATE INDEX "image_patient_id_idx" ON "image"("patient_id");
CREATE INDEX "image_lesion_id_idx" ON "image"("lesion_id");
CREATE INDEX "image_diagnosis_class_idx" ON "image"("diagnosis_class");
CREATE INDEX "image_verification_stage_idx" ON "image"("verification_stage");
CREATE INDEX "image_acquired_at_idx" ON "image"("acquired_at");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- Backfill: the reviews already recorded
UPDATE "image" SET "review_count" = (SELECT COUNT(*) FROM "expert_review" r WHERE r."image_id" = "image"."id");

-- DropIndex
DROP INDEX "image_patient_id_idx";

-- DropIndex
DROP INDEX "image_diagnosis_class_idx";

-- AlterTable
ALTER TABLE "image" ADD COLUMN "review_votes" TEXT;

-- Backfill: the votes of the reviews stored so far, as submitReview keeps them (domain/agreement.ts
-- votesKey: "reviewer<TAB>CLASS" lines in reviewer order). A review is a 'reviews' write: the trigger
-- on review_count now watches review_votes too, and the backfill raises the version once.
UPDATE "image" SET "review_votes" = (
    SELECT group_concat("reviewer_code" || char(9) || "diagnosis_class", char(10) ORDER BY "reviewer_code")
    FROM "expert_review" WHERE "expert_review"."image_id" = "image"."id"
) WHERE "id" IN (SELECT "image_id" FROM "expert_review");
UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'reviews';
DROP TRIGGER "dv_image_review_count";
CREATE TRIGGER "dv_image_review_count" AFTER UPDATE OF "review_count", "review_votes" ON "image" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'reviews'; END;

-- CreateIndex
CREATE INDEX "image_patient_id_age_at_exam_idx" ON "image"("patient_id", "age_at_exam");

-- CreateIndex
CREATE INDEX "image_diagnosis_class_diagnosis_term_clinical_status_verification_stage_idx" ON "image"("diagnosis_class", "diagnosis_term", "clinical_status", "verification_stage");

-- CreateIndex
CREATE INDEX "image_review_votes_idx" ON "image"("review_votes");

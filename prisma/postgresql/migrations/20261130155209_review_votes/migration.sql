-- DropIndex
DROP INDEX "image_patient_id_idx";

-- DropIndex
DROP INDEX "image_diagnosis_class_idx";

-- AlterTable
ALTER TABLE "image" ADD COLUMN     "review_votes" TEXT;

-- Backfill: the votes of the reviews stored so far, as submitReview keeps them (domain/agreement.ts
-- votesKey: "reviewer<TAB>CLASS" lines in reviewer order, by code point as JavaScript sorts these
-- codes). A review is a 'reviews' write: the trigger on review_count now watches review_votes too,
-- and the backfill raises the version once.
UPDATE "image" SET "review_votes" = "v"."votes"
FROM (
    SELECT "image_id", string_agg("reviewer_code" || chr(9) || "diagnosis_class"::text, chr(10) ORDER BY "reviewer_code" COLLATE "C") AS "votes"
    FROM "expert_review" GROUP BY "image_id"
) AS "v"
WHERE "v"."image_id" = "image"."id";
UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'reviews';
DROP TRIGGER "dv_image_review_count" ON "image";
CREATE CONSTRAINT TRIGGER "dv_image_review_count" AFTER UPDATE OF "review_count", "review_votes" ON "image" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('reviews');

-- CreateIndex
CREATE INDEX "image_patient_id_age_at_exam_idx" ON "image"("patient_id", "age_at_exam");

-- CreateIndex
CREATE INDEX "image_diagnosis_class_diagnosis_term_clinical_status_verifi_idx" ON "image"("diagnosis_class", "diagnosis_term", "clinical_status", "verification_stage");

-- CreateIndex
CREATE INDEX "image_review_votes_idx" ON "image"("review_votes");

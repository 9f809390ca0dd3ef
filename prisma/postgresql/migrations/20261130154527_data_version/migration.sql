-- CreateTable
CREATE TABLE "data_version" (
    "scope" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "data_version_pkey" PRIMARY KEY ("scope")
);

-- The data versions (see model DataVersion): one row per scope, raised by triggers in the writing
-- transaction, so a version is visible exactly when its data is. The image table's review_count,
-- updated_at and version columns are bookkeeping: an update of review_count alone is a review.
-- On PostgreSQL the triggers are deferred constraint triggers: the version row is locked at commit,
-- after every other lock the transaction takes (no deadlock through it, a short hold), and raised
-- once per scope and transaction.
INSERT INTO "data_version" ("scope", "version") VALUES ('records', 0), ('reviews', 0), ('settings', 0);

CREATE FUNCTION "bump_data_version"() RETURNS trigger AS $$
BEGIN
  IF current_setting('dermaset.bumped_' || TG_ARGV[0], true) IS DISTINCT FROM txid_current()::text THEN
    UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = TG_ARGV[0];
    PERFORM set_config('dermaset.bumped_' || TG_ARGV[0], txid_current()::text, true);
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER "dv_patient" AFTER INSERT OR UPDATE OR DELETE ON "patient" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('records');
CREATE CONSTRAINT TRIGGER "dv_lesion" AFTER INSERT OR UPDATE OR DELETE ON "lesion" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('records');
CREATE CONSTRAINT TRIGGER "dv_image_color" AFTER INSERT OR UPDATE OR DELETE ON "image_color" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('records');
CREATE CONSTRAINT TRIGGER "dv_image_structure" AFTER INSERT OR UPDATE OR DELETE ON "image_structure" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('records');
CREATE CONSTRAINT TRIGGER "dv_near_duplicate" AFTER INSERT OR UPDATE OR DELETE ON "near_duplicate" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('records');
CREATE CONSTRAINT TRIGGER "dv_initial_annotation" AFTER INSERT OR UPDATE OR DELETE ON "initial_annotation" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('records');
CREATE CONSTRAINT TRIGGER "dv_annotation_structure" AFTER INSERT OR UPDATE OR DELETE ON "annotation_structure" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('records');
CREATE CONSTRAINT TRIGGER "dv_consensus_decision" AFTER INSERT OR UPDATE OR DELETE ON "consensus_decision" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('records');
CREATE CONSTRAINT TRIGGER "dv_histopathology_report" AFTER INSERT OR UPDATE OR DELETE ON "histopathology_report" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('records');
CREATE CONSTRAINT TRIGGER "dv_label_change" AFTER INSERT OR UPDATE OR DELETE ON "label_change" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('records');
CREATE CONSTRAINT TRIGGER "dv_intake_record" AFTER INSERT OR UPDATE OR DELETE ON "intake_record" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('records');
CREATE CONSTRAINT TRIGGER "dv_collection" AFTER INSERT OR UPDATE OR DELETE ON "collection" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('records');
CREATE CONSTRAINT TRIGGER "dv_import_record" AFTER INSERT OR UPDATE OR DELETE ON "import_record" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('records');
CREATE CONSTRAINT TRIGGER "dv_fact_conflict" AFTER INSERT OR UPDATE OR DELETE ON "fact_conflict" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('records');
CREATE CONSTRAINT TRIGGER "dv_release" AFTER INSERT OR UPDATE OR DELETE ON "release" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('records');
CREATE CONSTRAINT TRIGGER "dv_release_image" AFTER INSERT OR UPDATE OR DELETE ON "release_image" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('records');
CREATE CONSTRAINT TRIGGER "dv_expert_review" AFTER INSERT OR UPDATE OR DELETE ON "expert_review" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('reviews');
CREATE CONSTRAINT TRIGGER "dv_review_structure" AFTER INSERT OR UPDATE OR DELETE ON "review_structure" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('reviews');
CREATE CONSTRAINT TRIGGER "dv_setting" AFTER INSERT OR UPDATE OR DELETE ON "setting" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('settings');
CREATE CONSTRAINT TRIGGER "dv_policy_change" AFTER INSERT OR UPDATE OR DELETE ON "policy_change" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('settings');
CREATE CONSTRAINT TRIGGER "dv_datasheet_text" AFTER INSERT OR UPDATE OR DELETE ON "datasheet_text" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('settings');
CREATE CONSTRAINT TRIGGER "dv_datasheet_text_change" AFTER INSERT OR UPDATE OR DELETE ON "datasheet_text_change" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('settings');
CREATE CONSTRAINT TRIGGER "dv_split" AFTER INSERT OR UPDATE OR DELETE ON "split" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('settings');
CREATE CONSTRAINT TRIGGER "dv_split_assignment" AFTER INSERT OR UPDATE OR DELETE ON "split_assignment" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('settings');
CREATE CONSTRAINT TRIGGER "dv_image" AFTER INSERT OR DELETE ON "image" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('records');
CREATE CONSTRAINT TRIGGER "dv_image_update" AFTER UPDATE OF "id", "patient_id", "lesion_id", "age_at_exam_raw", "age_at_exam", "anatomical_site", "lesion_diameter_mm", "elevation", "border_regularity", "clinical_diagnosis_raw", "diagnosis_class", "diagnosis_term", "clinical_status", "histopathology_result", "verification_stage", "examiner_code", "image_quality_score", "collection_id", "sha256", "pixel_hash", "phash", "width", "height", "format", "byte_size", "storage_key", "thumbnail_key", "acquired_at", "sharpness", "clipped_share", "glare_share", "mean_luminance", "highlight_share", "created_at" ON "image" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('records');
CREATE CONSTRAINT TRIGGER "dv_image_review_count" AFTER UPDATE OF "review_count" ON "image" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('reviews');

-- CreateTable
CREATE TABLE "data_version" (
    "scope" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL DEFAULT 0
);

-- The data versions (see model DataVersion): one row per scope, raised by triggers in the writing
-- transaction, so a version is visible exactly when its data is. The image table's review_count,
-- updated_at and version columns are bookkeeping: an update of review_count alone is a review.
INSERT INTO "data_version" ("scope", "version") VALUES ('records', 0), ('reviews', 0), ('settings', 0);

CREATE TRIGGER "dv_patient_insert" AFTER INSERT ON "patient" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_patient_update" AFTER UPDATE ON "patient" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_patient_delete" AFTER DELETE ON "patient" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_lesion_insert" AFTER INSERT ON "lesion" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_lesion_update" AFTER UPDATE ON "lesion" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_lesion_delete" AFTER DELETE ON "lesion" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_image_color_insert" AFTER INSERT ON "image_color" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_image_color_update" AFTER UPDATE ON "image_color" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_image_color_delete" AFTER DELETE ON "image_color" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_image_structure_insert" AFTER INSERT ON "image_structure" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_image_structure_update" AFTER UPDATE ON "image_structure" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_image_structure_delete" AFTER DELETE ON "image_structure" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_near_duplicate_insert" AFTER INSERT ON "near_duplicate" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_near_duplicate_update" AFTER UPDATE ON "near_duplicate" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_near_duplicate_delete" AFTER DELETE ON "near_duplicate" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_initial_annotation_insert" AFTER INSERT ON "initial_annotation" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_initial_annotation_update" AFTER UPDATE ON "initial_annotation" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_initial_annotation_delete" AFTER DELETE ON "initial_annotation" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_annotation_structure_insert" AFTER INSERT ON "annotation_structure" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_annotation_structure_update" AFTER UPDATE ON "annotation_structure" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_annotation_structure_delete" AFTER DELETE ON "annotation_structure" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_consensus_decision_insert" AFTER INSERT ON "consensus_decision" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_consensus_decision_update" AFTER UPDATE ON "consensus_decision" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_consensus_decision_delete" AFTER DELETE ON "consensus_decision" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_histopathology_report_insert" AFTER INSERT ON "histopathology_report" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_histopathology_report_update" AFTER UPDATE ON "histopathology_report" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_histopathology_report_delete" AFTER DELETE ON "histopathology_report" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_label_change_insert" AFTER INSERT ON "label_change" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_label_change_update" AFTER UPDATE ON "label_change" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_label_change_delete" AFTER DELETE ON "label_change" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_intake_record_insert" AFTER INSERT ON "intake_record" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_intake_record_update" AFTER UPDATE ON "intake_record" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_intake_record_delete" AFTER DELETE ON "intake_record" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_collection_insert" AFTER INSERT ON "collection" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_collection_update" AFTER UPDATE ON "collection" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_collection_delete" AFTER DELETE ON "collection" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_import_record_insert" AFTER INSERT ON "import_record" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_import_record_update" AFTER UPDATE ON "import_record" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_import_record_delete" AFTER DELETE ON "import_record" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_fact_conflict_insert" AFTER INSERT ON "fact_conflict" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_fact_conflict_update" AFTER UPDATE ON "fact_conflict" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_fact_conflict_delete" AFTER DELETE ON "fact_conflict" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_release_insert" AFTER INSERT ON "release" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_release_update" AFTER UPDATE ON "release" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_release_delete" AFTER DELETE ON "release" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_release_image_insert" AFTER INSERT ON "release_image" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_release_image_update" AFTER UPDATE ON "release_image" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_release_image_delete" AFTER DELETE ON "release_image" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_expert_review_insert" AFTER INSERT ON "expert_review" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'reviews'; END;
CREATE TRIGGER "dv_expert_review_update" AFTER UPDATE ON "expert_review" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'reviews'; END;
CREATE TRIGGER "dv_expert_review_delete" AFTER DELETE ON "expert_review" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'reviews'; END;
CREATE TRIGGER "dv_review_structure_insert" AFTER INSERT ON "review_structure" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'reviews'; END;
CREATE TRIGGER "dv_review_structure_update" AFTER UPDATE ON "review_structure" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'reviews'; END;
CREATE TRIGGER "dv_review_structure_delete" AFTER DELETE ON "review_structure" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'reviews'; END;
CREATE TRIGGER "dv_setting_insert" AFTER INSERT ON "setting" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_setting_update" AFTER UPDATE ON "setting" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_setting_delete" AFTER DELETE ON "setting" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_policy_change_insert" AFTER INSERT ON "policy_change" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_policy_change_update" AFTER UPDATE ON "policy_change" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_policy_change_delete" AFTER DELETE ON "policy_change" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_datasheet_text_insert" AFTER INSERT ON "datasheet_text" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_datasheet_text_update" AFTER UPDATE ON "datasheet_text" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_datasheet_text_delete" AFTER DELETE ON "datasheet_text" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_datasheet_text_change_insert" AFTER INSERT ON "datasheet_text_change" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_datasheet_text_change_update" AFTER UPDATE ON "datasheet_text_change" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_datasheet_text_change_delete" AFTER DELETE ON "datasheet_text_change" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_split_insert" AFTER INSERT ON "split" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_split_update" AFTER UPDATE ON "split" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_split_delete" AFTER DELETE ON "split" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_split_assignment_insert" AFTER INSERT ON "split_assignment" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_split_assignment_update" AFTER UPDATE ON "split_assignment" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_split_assignment_delete" AFTER DELETE ON "split_assignment" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_image_insert" AFTER INSERT ON "image" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_image_delete" AFTER DELETE ON "image" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_image_update" AFTER UPDATE OF "id", "patient_id", "lesion_id", "age_at_exam_raw", "age_at_exam", "anatomical_site", "lesion_diameter_mm", "elevation", "border_regularity", "clinical_diagnosis_raw", "diagnosis_class", "diagnosis_term", "clinical_status", "histopathology_result", "verification_stage", "examiner_code", "image_quality_score", "collection_id", "sha256", "pixel_hash", "phash", "width", "height", "format", "byte_size", "storage_key", "thumbnail_key", "acquired_at", "sharpness", "clipped_share", "glare_share", "mean_luminance", "highlight_share", "created_at" ON "image" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'records'; END;
CREATE TRIGGER "dv_image_review_count" AFTER UPDATE OF "review_count" ON "image" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'reviews'; END;

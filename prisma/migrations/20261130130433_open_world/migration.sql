-- CreateTable
CREATE TABLE "collection" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "source" TEXT,
    "citation" TEXT,
    "license" TEXT NOT NULL,
    "attribution" TEXT NOT NULL,
    "version" TEXT,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" DATETIME NOT NULL
);

-- Collections: every image stored so far is our own acquisition, except public records (no SOP score),
-- which were imported before collections were recorded.
INSERT INTO "collection" ("slug", "name", "kind", "license", "attribution", "updated_at") VALUES ('own', 'Own acquisition', 'own', 'not stated', 'not stated', CURRENT_TIMESTAMP);
INSERT INTO "collection" ("slug", "name", "kind", "license", "attribution", "updated_at") SELECT 'imported-before-collections', 'Public records imported before collections were recorded', 'public', 'not stated', 'not stated', CURRENT_TIMESTAMP WHERE EXISTS (SELECT 1 FROM "image" WHERE "image_quality_score" IS NULL);

-- CreateTable
CREATE TABLE "import_record" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "collection_id" INTEGER NOT NULL,
    "importer" TEXT NOT NULL,
    "importer_version" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "started_at" DATETIME NOT NULL,
    "finished_at" DATETIME NOT NULL,
    "inputs" TEXT NOT NULL,
    "rows_in" INTEGER NOT NULL,
    "stored" INTEGER NOT NULL,
    "already_stored" INTEGER NOT NULL,
    "refused" INTEGER NOT NULL,
    "report" TEXT NOT NULL,
    CONSTRAINT "import_record_collection_id_fkey" FOREIGN KEY ("collection_id") REFERENCES "collection" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "fact_conflict" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "image_id" INTEGER NOT NULL,
    "patient_id" INTEGER NOT NULL,
    "field" TEXT NOT NULL,
    "stored_value" TEXT NOT NULL,
    "record_value" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "fact_conflict_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "release" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "filter" TEXT NOT NULL,
    "image_count" INTEGER NOT NULL,
    "content_hash" TEXT NOT NULL,
    "previous_id" TEXT,
    "changelog" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "release_image" (
    "release_id" TEXT NOT NULL,
    "image_id" INTEGER NOT NULL,
    "diagnosis_class" TEXT,
    "diagnosis_term" TEXT NOT NULL,
    "clinical_status" TEXT NOT NULL,
    "verification_stage" TEXT NOT NULL,
    "histopathology_result" TEXT,
    "structures" TEXT NOT NULL,

    PRIMARY KEY ("release_id", "image_id"),
    CONSTRAINT "release_image_release_id_fkey" FOREIGN KEY ("release_id") REFERENCES "release" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "release_image_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

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
    "diagnosis_class" TEXT,
    "diagnosis_term" TEXT NOT NULL,
    "clinical_status" TEXT NOT NULL,
    "histopathology_result" TEXT,
    "verification_stage" TEXT NOT NULL DEFAULT 'INITIAL',
    "examiner_code" TEXT,
    "image_quality_score" INTEGER,
    "collection_id" INTEGER NOT NULL,
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
    "mean_luminance" REAL,
    "highlight_share" REAL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "review_count" INTEGER NOT NULL DEFAULT 0,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" DATETIME NOT NULL,
    CONSTRAINT "image_patient_id_fkey" FOREIGN KEY ("patient_id") REFERENCES "patient" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "image_lesion_id_fkey" FOREIGN KEY ("lesion_id") REFERENCES "lesion" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "image_collection_id_fkey" FOREIGN KEY ("collection_id") REFERENCES "collection" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_image" ("acquired_at", "age_at_exam", "age_at_exam_raw", "anatomical_site", "border_regularity", "byte_size", "clinical_diagnosis_raw", "clipped_share", "created_at", "diagnosis_class", "elevation", "examiner_code", "format", "glare_share", "height", "highlight_share", "histopathology_result", "id", "image_quality_score", "lesion_diameter_mm", "lesion_id", "mean_luminance", "patient_id", "phash", "pixel_hash", "review_count", "sha256", "sharpness", "storage_key", "thumbnail_key", "updated_at", "verification_stage", "version", "width", "diagnosis_term", "clinical_status", "collection_id") SELECT "acquired_at", "age_at_exam", "age_at_exam_raw", "anatomical_site", "border_regularity", "byte_size", "clinical_diagnosis_raw", "clipped_share", "created_at", "diagnosis_class", "elevation", "examiner_code", "format", "glare_share", "height", "highlight_share", "histopathology_result", "id", "image_quality_score", "lesion_diameter_mm", "lesion_id", "mean_luminance", "patient_id", "phash", "pixel_hash", "review_count", "sha256", "sharpness", "storage_key", "thumbnail_key", "updated_at", "verification_stage", "version", "width", CASE "diagnosis_class" WHEN 'NEVUS' THEN 'Benign:Benign melanocytic proliferations:Nevus' WHEN 'SEBORRHEIC_KERATOSIS' THEN 'Benign:Benign epidermal proliferations:Seborrheic keratosis' WHEN 'HEMANGIOMA' THEN 'Benign:Benign soft tissue proliferations - Vascular:Hemangioma' WHEN 'DERMATOFIBROMA' THEN 'Benign:Benign soft tissue proliferations - Fibro-histiocytic:Dermatofibroma' WHEN 'MELANOMA' THEN 'Malignant:Malignant melanocytic proliferations (Melanoma):Melanoma, NOS' WHEN 'DYSPLASTIC_NEVUS' THEN 'Benign:Benign melanocytic proliferations:Nevus:Nevus, Atypical, Dysplastic, or Clark' WHEN 'BASAL_CELL_CARCINOMA' THEN 'Malignant:Malignant adnexal epithelial proliferations - Follicular:Basal cell carcinoma' WHEN 'SQUAMOUS_CELL_CARCINOMA' THEN 'Malignant:Malignant epidermal proliferations:Squamous cell carcinoma, NOS' WHEN 'PAPILLOMA' THEN 'Benign:Benign epidermal proliferations:Papilloma' END, CASE "diagnosis_class" WHEN 'NEVUS' THEN 'BENIGN' WHEN 'SEBORRHEIC_KERATOSIS' THEN 'BENIGN' WHEN 'HEMANGIOMA' THEN 'BENIGN' WHEN 'DERMATOFIBROMA' THEN 'BENIGN' WHEN 'MELANOMA' THEN 'MALIGNANT' WHEN 'DYSPLASTIC_NEVUS' THEN 'BORDERLINE' WHEN 'BASAL_CELL_CARCINOMA' THEN 'MALIGNANT' WHEN 'SQUAMOUS_CELL_CARCINOMA' THEN 'MALIGNANT' WHEN 'PAPILLOMA' THEN 'BENIGN' END, CASE WHEN "image_quality_score" IS NULL THEN (SELECT "id" FROM "collection" WHERE "slug" = 'imported-before-collections') ELSE (SELECT "id" FROM "collection" WHERE "slug" = 'own') END FROM "image";
DROP TABLE "image";
ALTER TABLE "new_image" RENAME TO "image";
CREATE UNIQUE INDEX "image_sha256_key" ON "image"("sha256");
CREATE UNIQUE INDEX "image_pixel_hash_key" ON "image"("pixel_hash");
CREATE INDEX "image_patient_id_idx" ON "image"("patient_id");
CREATE INDEX "image_lesion_id_idx" ON "image"("lesion_id");
CREATE INDEX "image_diagnosis_class_idx" ON "image"("diagnosis_class");
CREATE INDEX "image_diagnosis_term_idx" ON "image"("diagnosis_term");
CREATE INDEX "image_clinical_status_idx" ON "image"("clinical_status");
CREATE INDEX "image_collection_id_idx" ON "image"("collection_id");
CREATE INDEX "image_verification_stage_idx" ON "image"("verification_stage");
CREATE INDEX "image_acquired_at_idx" ON "image"("acquired_at");
CREATE TABLE "new_initial_annotation" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "image_id" INTEGER NOT NULL,
    "examiner_code" TEXT,
    "diagnosis_raw" TEXT NOT NULL,
    "diagnosis_class" TEXT,
    "diagnosis_term" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "initial_annotation_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_initial_annotation" ("created_at", "diagnosis_class", "diagnosis_raw", "examiner_code", "id", "image_id", "diagnosis_term") SELECT "created_at", "diagnosis_class", "diagnosis_raw", "examiner_code", "id", "image_id", CASE "diagnosis_class" WHEN 'NEVUS' THEN 'Benign:Benign melanocytic proliferations:Nevus' WHEN 'SEBORRHEIC_KERATOSIS' THEN 'Benign:Benign epidermal proliferations:Seborrheic keratosis' WHEN 'HEMANGIOMA' THEN 'Benign:Benign soft tissue proliferations - Vascular:Hemangioma' WHEN 'DERMATOFIBROMA' THEN 'Benign:Benign soft tissue proliferations - Fibro-histiocytic:Dermatofibroma' WHEN 'MELANOMA' THEN 'Malignant:Malignant melanocytic proliferations (Melanoma):Melanoma, NOS' WHEN 'DYSPLASTIC_NEVUS' THEN 'Benign:Benign melanocytic proliferations:Nevus:Nevus, Atypical, Dysplastic, or Clark' WHEN 'BASAL_CELL_CARCINOMA' THEN 'Malignant:Malignant adnexal epithelial proliferations - Follicular:Basal cell carcinoma' WHEN 'SQUAMOUS_CELL_CARCINOMA' THEN 'Malignant:Malignant epidermal proliferations:Squamous cell carcinoma, NOS' WHEN 'PAPILLOMA' THEN 'Benign:Benign epidermal proliferations:Papilloma' END FROM "initial_annotation";
DROP TABLE "initial_annotation";
ALTER TABLE "new_initial_annotation" RENAME TO "initial_annotation";
CREATE UNIQUE INDEX "initial_annotation_image_id_key" ON "initial_annotation"("image_id");
CREATE TABLE "new_consensus_decision" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "image_id" INTEGER NOT NULL,
    "diagnosis_class" TEXT,
    "outcome" TEXT NOT NULL,
    "review_count" INTEGER NOT NULL,
    "note" TEXT,
    "decided_by" TEXT NOT NULL,
    "decided_at" DATETIME NOT NULL,
    CONSTRAINT "consensus_decision_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_consensus_decision" ("decided_at", "decided_by", "diagnosis_class", "id", "image_id", "note", "outcome", "review_count") SELECT "decided_at", "decided_by", "diagnosis_class", "id", "image_id", "note", "outcome", "review_count" FROM "consensus_decision";
DROP TABLE "consensus_decision";
ALTER TABLE "new_consensus_decision" RENAME TO "consensus_decision";
CREATE UNIQUE INDEX "consensus_decision_image_id_key" ON "consensus_decision"("image_id");
CREATE TABLE "new_histopathology_report" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "image_id" INTEGER NOT NULL,
    "result_text" TEXT NOT NULL,
    "mapped_class" TEXT,
    "reported_by" TEXT NOT NULL,
    "reported_at" DATETIME NOT NULL,
    CONSTRAINT "histopathology_report_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_histopathology_report" ("id", "image_id", "mapped_class", "reported_at", "reported_by", "result_text") SELECT "id", "image_id", "mapped_class", "reported_at", "reported_by", "result_text" FROM "histopathology_report";
DROP TABLE "histopathology_report";
ALTER TABLE "new_histopathology_report" RENAME TO "histopathology_report";
CREATE UNIQUE INDEX "histopathology_report_image_id_key" ON "histopathology_report"("image_id");
CREATE TABLE "new_label_change" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "image_id" INTEGER NOT NULL,
    "actor" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "from_class" TEXT,
    "to_class" TEXT,
    "reason" TEXT NOT NULL,
    CONSTRAINT "label_change_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_label_change" ("actor", "at", "from_class", "id", "image_id", "reason", "to_class") SELECT "actor", "at", "from_class", "id", "image_id", "reason", "to_class" FROM "label_change";
DROP TABLE "label_change";
ALTER TABLE "new_label_change" RENAME TO "label_change";
CREATE INDEX "label_change_image_id_idx" ON "label_change"("image_id");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "collection_slug_key" ON "collection"("slug");

-- CreateIndex
CREATE INDEX "import_record_collection_id_started_at_idx" ON "import_record"("collection_id", "started_at");

-- CreateIndex
CREATE INDEX "fact_conflict_patient_id_idx" ON "fact_conflict"("patient_id");

-- CreateIndex
CREATE UNIQUE INDEX "fact_conflict_image_id_field_key" ON "fact_conflict"("image_id", "field");

-- CreateIndex
CREATE INDEX "release_created_at_idx" ON "release"("created_at");

-- CreateIndex
CREATE UNIQUE INDEX "release_name_version_key" ON "release"("name", "version");

-- CreateIndex
CREATE INDEX "release_image_image_id_idx" ON "release_image"("image_id");

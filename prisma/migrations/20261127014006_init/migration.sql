-- CreateTable
CREATE TABLE "patient" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "code" TEXT NOT NULL,
    "sex" TEXT,
    "fitzpatrick_type" TEXT,
    "sunburn_history" BOOLEAN,
    "personal_ca_history" BOOLEAN,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "lesion" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "code" TEXT NOT NULL,
    "patient_id" INTEGER NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "lesion_patient_id_fkey" FOREIGN KEY ("patient_id") REFERENCES "patient" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "image" (
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
    "image_quality_score" INTEGER NOT NULL,
    "sha256" TEXT NOT NULL,
    "pixel_hash" TEXT NOT NULL,
    "phash" TEXT NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "format" TEXT NOT NULL,
    "byte_size" INTEGER NOT NULL,
    "storage_key" TEXT NOT NULL,
    "thumbnail_key" TEXT NOT NULL,
    "acquired_at" DATETIME NOT NULL,
    "sharpness" REAL NOT NULL,
    "clipped_share" REAL NOT NULL,
    "glare_share" REAL NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" DATETIME NOT NULL,
    CONSTRAINT "image_patient_id_fkey" FOREIGN KEY ("patient_id") REFERENCES "patient" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "image_lesion_id_fkey" FOREIGN KEY ("lesion_id") REFERENCES "lesion" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "image_color" (
    "image_id" INTEGER NOT NULL,
    "color" TEXT NOT NULL,

    PRIMARY KEY ("image_id", "color"),
    CONSTRAINT "image_color_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "image_structure" (
    "image_id" INTEGER NOT NULL,
    "structure" TEXT NOT NULL,

    PRIMARY KEY ("image_id", "structure"),
    CONSTRAINT "image_structure_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "near_duplicate" (
    "image_id" INTEGER NOT NULL,
    "twin_id" INTEGER NOT NULL,
    "distance" INTEGER NOT NULL,

    PRIMARY KEY ("image_id", "twin_id"),
    CONSTRAINT "near_duplicate_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "near_duplicate_twin_id_fkey" FOREIGN KEY ("twin_id") REFERENCES "image" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "initial_annotation" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "image_id" INTEGER NOT NULL,
    "examiner_code" TEXT,
    "diagnosis_raw" TEXT NOT NULL,
    "diagnosis_class" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "initial_annotation_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "annotation_structure" (
    "annotation_id" INTEGER NOT NULL,
    "structure" TEXT NOT NULL,

    PRIMARY KEY ("annotation_id", "structure"),
    CONSTRAINT "annotation_structure_annotation_id_fkey" FOREIGN KEY ("annotation_id") REFERENCES "initial_annotation" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "expert_review" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "image_id" INTEGER NOT NULL,
    "reviewer_code" TEXT NOT NULL,
    "diagnosis_class" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "expert_review_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "review_structure" (
    "review_id" INTEGER NOT NULL,
    "structure" TEXT NOT NULL,

    PRIMARY KEY ("review_id", "structure"),
    CONSTRAINT "review_structure_review_id_fkey" FOREIGN KEY ("review_id") REFERENCES "expert_review" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "consensus_decision" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "image_id" INTEGER NOT NULL,
    "diagnosis_class" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "review_count" INTEGER NOT NULL,
    "note" TEXT,
    "decided_by" TEXT NOT NULL,
    "decided_at" DATETIME NOT NULL,
    CONSTRAINT "consensus_decision_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "histopathology_report" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "image_id" INTEGER NOT NULL,
    "result_text" TEXT NOT NULL,
    "mapped_class" TEXT NOT NULL,
    "reported_by" TEXT NOT NULL,
    "reported_at" DATETIME NOT NULL,
    CONSTRAINT "histopathology_report_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "label_change" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "image_id" INTEGER NOT NULL,
    "actor" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "from_class" TEXT,
    "to_class" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    CONSTRAINT "label_change_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "intake_record" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "attempt_key" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "outcome" TEXT NOT NULL,
    "error_code" TEXT,
    "reason" TEXT,
    "source_sha256" TEXT,
    "pixel_hash" TEXT,
    "quality_score" INTEGER,
    "image_id" INTEGER,
    "duplicate_of_id" INTEGER,
    CONSTRAINT "intake_record_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "intake_record_duplicate_of_id_fkey" FOREIGN KEY ("duplicate_of_id") REFERENCES "image" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "patient_code_key" ON "patient"("code");

-- CreateIndex
CREATE UNIQUE INDEX "lesion_code_key" ON "lesion"("code");

-- CreateIndex
CREATE INDEX "lesion_patient_id_idx" ON "lesion"("patient_id");

-- CreateIndex
CREATE UNIQUE INDEX "image_sha256_key" ON "image"("sha256");

-- CreateIndex
CREATE UNIQUE INDEX "image_pixel_hash_key" ON "image"("pixel_hash");

-- CreateIndex
CREATE INDEX "image_patient_id_idx" ON "image"("patient_id");

-- CreateIndex
CREATE INDEX "image_lesion_id_idx" ON "image"("lesion_id");

-- CreateIndex
CREATE INDEX "image_diagnosis_class_idx" ON "image"("diagnosis_class");

-- CreateIndex
CREATE INDEX "image_verification_stage_idx" ON "image"("verification_stage");

-- CreateIndex
CREATE INDEX "image_acquired_at_idx" ON "image"("acquired_at");

-- CreateIndex
CREATE INDEX "image_color_color_idx" ON "image_color"("color");

-- CreateIndex
CREATE INDEX "image_structure_structure_idx" ON "image_structure"("structure");

-- CreateIndex
CREATE INDEX "near_duplicate_twin_id_idx" ON "near_duplicate"("twin_id");

-- CreateIndex
CREATE UNIQUE INDEX "initial_annotation_image_id_key" ON "initial_annotation"("image_id");

-- CreateIndex
CREATE INDEX "expert_review_reviewer_code_idx" ON "expert_review"("reviewer_code");

-- CreateIndex
CREATE UNIQUE INDEX "expert_review_image_id_reviewer_code_key" ON "expert_review"("image_id", "reviewer_code");

-- CreateIndex
CREATE UNIQUE INDEX "consensus_decision_image_id_key" ON "consensus_decision"("image_id");

-- CreateIndex
CREATE UNIQUE INDEX "histopathology_report_image_id_key" ON "histopathology_report"("image_id");

-- CreateIndex
CREATE INDEX "label_change_image_id_idx" ON "label_change"("image_id");

-- CreateIndex
CREATE UNIQUE INDEX "intake_record_attempt_key_key" ON "intake_record"("attempt_key");

-- CreateIndex
CREATE INDEX "intake_record_outcome_idx" ON "intake_record"("outcome");

-- CreateIndex
CREATE INDEX "intake_record_image_id_idx" ON "intake_record"("image_id");

-- CreateIndex
CREATE INDEX "intake_record_duplicate_of_id_idx" ON "intake_record"("duplicate_of_id");

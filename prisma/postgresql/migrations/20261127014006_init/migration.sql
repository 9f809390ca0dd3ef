-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "DiagnosisClass" AS ENUM ('NEVUS', 'DYSPLASTIC_NEVUS', 'MELANOMA', 'SEBORRHEIC_KERATOSIS', 'HEMANGIOMA', 'DERMATOFIBROMA', 'BASAL_CELL_CARCINOMA', 'SQUAMOUS_CELL_CARCINOMA', 'PAPILLOMA');

-- CreateEnum
CREATE TYPE "Sex" AS ENUM ('FEMALE', 'MALE');

-- CreateEnum
CREATE TYPE "FitzpatrickType" AS ENUM ('I', 'II', 'III', 'IV', 'V', 'VI');

-- CreateEnum
CREATE TYPE "AnatomicalSite" AS ENUM ('HEAD_NECK', 'SCALP', 'FACE', 'EAR', 'NECK', 'TRUNK', 'ANTERIOR_TORSO', 'POSTERIOR_TORSO', 'LATERAL_TORSO', 'UPPER_EXTREMITY', 'LOWER_EXTREMITY', 'PALMS_SOLES', 'ORAL_GENITAL');

-- CreateEnum
CREATE TYPE "Color" AS ENUM ('WHITE', 'RED', 'LIGHT_BROWN', 'DARK_BROWN', 'BLUE_GRAY', 'BLACK');

-- CreateEnum
CREATE TYPE "Elevation" AS ENUM ('FLAT', 'PALPABLE', 'NODULAR');

-- CreateEnum
CREATE TYPE "BorderRegularity" AS ENUM ('REGULAR', 'IRREGULAR');

-- CreateEnum
CREATE TYPE "DermoscopicStructure" AS ENUM ('PIGMENT_NETWORK_TYPICAL', 'PIGMENT_NETWORK_ATYPICAL', 'NEGATIVE_NETWORK', 'DOTS_GLOBULES_REGULAR', 'DOTS_GLOBULES_IRREGULAR', 'STREAKS_REGULAR', 'STREAKS_IRREGULAR', 'BLOTCH_REGULAR', 'BLOTCH_IRREGULAR', 'BLUE_WHITISH_VEIL', 'REGRESSION_STRUCTURES', 'MILIA_LIKE_CYSTS', 'COMEDO_LIKE_OPENINGS', 'FISSURES_RIDGES', 'LACUNAE', 'CENTRAL_WHITE_PATCH', 'LEAF_LIKE_AREAS', 'SPOKE_WHEEL_AREAS', 'BLUE_GRAY_OVOID_NESTS', 'ULCERATION', 'VESSELS_ARBORIZING', 'VESSELS_DOTTED', 'VESSELS_COMMA', 'VESSELS_HAIRPIN', 'VESSELS_GLOMERULAR', 'VESSELS_LINEAR_IRREGULAR');

-- CreateEnum
CREATE TYPE "VerificationStage" AS ENUM ('INITIAL', 'CONSENSUS', 'HISTOLOGY');

-- CreateEnum
CREATE TYPE "IntakeOutcome" AS ENUM ('ACCEPTED', 'DUPLICATE', 'REJECTED_QUALITY', 'REJECTED_INVALID');

-- CreateEnum
CREATE TYPE "ConsensusOutcome" AS ENUM ('CONFIRMED', 'CORRECTED');

-- CreateTable
CREATE TABLE "patient" (
    "id" SERIAL NOT NULL,
    "code" TEXT NOT NULL,
    "sex" "Sex",
    "fitzpatrick_type" "FitzpatrickType",
    "sunburn_history" BOOLEAN,
    "personal_ca_history" BOOLEAN,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "patient_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "lesion" (
    "id" SERIAL NOT NULL,
    "code" TEXT NOT NULL,
    "patient_id" INTEGER NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "lesion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "image" (
    "id" SERIAL NOT NULL,
    "patient_id" INTEGER NOT NULL,
    "lesion_id" INTEGER NOT NULL,
    "age_at_exam_raw" TEXT,
    "age_at_exam" INTEGER,
    "anatomical_site" "AnatomicalSite",
    "lesion_diameter_mm" DOUBLE PRECISION,
    "elevation" "Elevation",
    "border_regularity" "BorderRegularity",
    "clinical_diagnosis_raw" TEXT NOT NULL,
    "diagnosis_class" "DiagnosisClass" NOT NULL,
    "histopathology_result" TEXT,
    "verification_stage" "VerificationStage" NOT NULL DEFAULT 'INITIAL',
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
    "acquired_at" TIMESTAMP(3) NOT NULL,
    "sharpness" DOUBLE PRECISION NOT NULL,
    "clipped_share" DOUBLE PRECISION NOT NULL,
    "glare_share" DOUBLE PRECISION NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "image_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "image_color" (
    "image_id" INTEGER NOT NULL,
    "color" "Color" NOT NULL,

    CONSTRAINT "image_color_pkey" PRIMARY KEY ("image_id","color")
);

-- CreateTable
CREATE TABLE "image_structure" (
    "image_id" INTEGER NOT NULL,
    "structure" "DermoscopicStructure" NOT NULL,

    CONSTRAINT "image_structure_pkey" PRIMARY KEY ("image_id","structure")
);

-- CreateTable
CREATE TABLE "near_duplicate" (
    "image_id" INTEGER NOT NULL,
    "twin_id" INTEGER NOT NULL,
    "distance" INTEGER NOT NULL,

    CONSTRAINT "near_duplicate_pkey" PRIMARY KEY ("image_id","twin_id")
);

-- CreateTable
CREATE TABLE "initial_annotation" (
    "id" SERIAL NOT NULL,
    "image_id" INTEGER NOT NULL,
    "examiner_code" TEXT,
    "diagnosis_raw" TEXT NOT NULL,
    "diagnosis_class" "DiagnosisClass" NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "initial_annotation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "annotation_structure" (
    "annotation_id" INTEGER NOT NULL,
    "structure" "DermoscopicStructure" NOT NULL,

    CONSTRAINT "annotation_structure_pkey" PRIMARY KEY ("annotation_id","structure")
);

-- CreateTable
CREATE TABLE "expert_review" (
    "id" SERIAL NOT NULL,
    "image_id" INTEGER NOT NULL,
    "reviewer_code" TEXT NOT NULL,
    "diagnosis_class" "DiagnosisClass" NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "expert_review_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "review_structure" (
    "review_id" INTEGER NOT NULL,
    "structure" "DermoscopicStructure" NOT NULL,

    CONSTRAINT "review_structure_pkey" PRIMARY KEY ("review_id","structure")
);

-- CreateTable
CREATE TABLE "consensus_decision" (
    "id" SERIAL NOT NULL,
    "image_id" INTEGER NOT NULL,
    "diagnosis_class" "DiagnosisClass" NOT NULL,
    "outcome" "ConsensusOutcome" NOT NULL,
    "review_count" INTEGER NOT NULL,
    "note" TEXT,
    "decided_by" TEXT NOT NULL,
    "decided_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "consensus_decision_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "histopathology_report" (
    "id" SERIAL NOT NULL,
    "image_id" INTEGER NOT NULL,
    "result_text" TEXT NOT NULL,
    "mapped_class" "DiagnosisClass" NOT NULL,
    "reported_by" TEXT NOT NULL,
    "reported_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "histopathology_report_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "label_change" (
    "id" SERIAL NOT NULL,
    "image_id" INTEGER NOT NULL,
    "actor" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "from_class" "DiagnosisClass",
    "to_class" "DiagnosisClass" NOT NULL,
    "reason" TEXT NOT NULL,

    CONSTRAINT "label_change_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "intake_record" (
    "id" SERIAL NOT NULL,
    "attempt_key" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "outcome" "IntakeOutcome" NOT NULL,
    "error_code" TEXT,
    "reason" TEXT,
    "source_sha256" TEXT,
    "pixel_hash" TEXT,
    "quality_score" INTEGER,
    "image_id" INTEGER,
    "duplicate_of_id" INTEGER,

    CONSTRAINT "intake_record_pkey" PRIMARY KEY ("id")
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

-- AddForeignKey
ALTER TABLE "lesion" ADD CONSTRAINT "lesion_patient_id_fkey" FOREIGN KEY ("patient_id") REFERENCES "patient"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "image" ADD CONSTRAINT "image_patient_id_fkey" FOREIGN KEY ("patient_id") REFERENCES "patient"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "image" ADD CONSTRAINT "image_lesion_id_fkey" FOREIGN KEY ("lesion_id") REFERENCES "lesion"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "image_color" ADD CONSTRAINT "image_color_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "image_structure" ADD CONSTRAINT "image_structure_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "near_duplicate" ADD CONSTRAINT "near_duplicate_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "near_duplicate" ADD CONSTRAINT "near_duplicate_twin_id_fkey" FOREIGN KEY ("twin_id") REFERENCES "image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "initial_annotation" ADD CONSTRAINT "initial_annotation_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "annotation_structure" ADD CONSTRAINT "annotation_structure_annotation_id_fkey" FOREIGN KEY ("annotation_id") REFERENCES "initial_annotation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "expert_review" ADD CONSTRAINT "expert_review_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "review_structure" ADD CONSTRAINT "review_structure_review_id_fkey" FOREIGN KEY ("review_id") REFERENCES "expert_review"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consensus_decision" ADD CONSTRAINT "consensus_decision_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "histopathology_report" ADD CONSTRAINT "histopathology_report_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "label_change" ADD CONSTRAINT "label_change_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "intake_record" ADD CONSTRAINT "intake_record_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "intake_record" ADD CONSTRAINT "intake_record_duplicate_of_id_fkey" FOREIGN KEY ("duplicate_of_id") REFERENCES "image"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- CreateEnum
CREATE TYPE "ClinicalStatus" AS ENUM ('BENIGN', 'BORDERLINE', 'PREMALIGNANT', 'MALIGNANT', 'UNKNOWN');


-- AlterTable
ALTER TABLE "consensus_decision" ALTER COLUMN "diagnosis_class" DROP NOT NULL;

-- AlterTable
ALTER TABLE "histopathology_report" ALTER COLUMN "mapped_class" DROP NOT NULL;

-- AlterTable
ALTER TABLE "label_change" ALTER COLUMN "to_class" DROP NOT NULL;

-- CreateTable
CREATE TABLE "collection" (
    "id" SERIAL NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "source" TEXT,
    "citation" TEXT,
    "license" TEXT NOT NULL,
    "attribution" TEXT NOT NULL,
    "version" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "collection_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "import_record" (
    "id" SERIAL NOT NULL,
    "collection_id" INTEGER NOT NULL,
    "importer" TEXT NOT NULL,
    "importer_version" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "started_at" TIMESTAMP(3) NOT NULL,
    "finished_at" TIMESTAMP(3) NOT NULL,
    "inputs" TEXT NOT NULL,
    "rows_in" INTEGER NOT NULL,
    "stored" INTEGER NOT NULL,
    "already_stored" INTEGER NOT NULL,
    "refused" INTEGER NOT NULL,
    "report" TEXT NOT NULL,

    CONSTRAINT "import_record_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "fact_conflict" (
    "id" SERIAL NOT NULL,
    "image_id" INTEGER NOT NULL,
    "patient_id" INTEGER NOT NULL,
    "field" TEXT NOT NULL,
    "stored_value" TEXT NOT NULL,
    "record_value" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "fact_conflict_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "release" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "filter" TEXT NOT NULL,
    "image_count" INTEGER NOT NULL,
    "content_hash" TEXT NOT NULL,
    "previous_id" TEXT,
    "changelog" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "release_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "release_image" (
    "release_id" TEXT NOT NULL,
    "image_id" INTEGER NOT NULL,
    "diagnosis_class" "DiagnosisClass",
    "diagnosis_term" TEXT NOT NULL,
    "clinical_status" "ClinicalStatus" NOT NULL,
    "verification_stage" "VerificationStage" NOT NULL,
    "histopathology_result" TEXT,
    "structures" TEXT NOT NULL,

    CONSTRAINT "release_image_pkey" PRIMARY KEY ("release_id","image_id")
);

-- Collections: every image stored so far is our own acquisition, except public records (no SOP score),
-- which were imported before collections were recorded.
INSERT INTO "collection" ("slug", "name", "kind", "license", "attribution", "updated_at") VALUES ('own', 'Own acquisition', 'own', 'not stated', 'not stated', CURRENT_TIMESTAMP);
INSERT INTO "collection" ("slug", "name", "kind", "license", "attribution", "updated_at") SELECT 'imported-before-collections', 'Public records imported before collections were recorded', 'public', 'not stated', 'not stated', CURRENT_TIMESTAMP WHERE EXISTS (SELECT 1 FROM "image" WHERE "image_quality_score" IS NULL);

-- AlterTable: the term and status of each stored class, the collection of each stored image
ALTER TABLE "image" ADD COLUMN "clinical_status" "ClinicalStatus", ADD COLUMN "collection_id" INTEGER, ADD COLUMN "diagnosis_term" TEXT, ALTER COLUMN "diagnosis_class" DROP NOT NULL;
UPDATE "image" SET "diagnosis_term" = CASE "diagnosis_class"::text WHEN 'NEVUS' THEN 'Benign:Benign melanocytic proliferations:Nevus' WHEN 'SEBORRHEIC_KERATOSIS' THEN 'Benign:Benign epidermal proliferations:Seborrheic keratosis' WHEN 'HEMANGIOMA' THEN 'Benign:Benign soft tissue proliferations - Vascular:Hemangioma' WHEN 'DERMATOFIBROMA' THEN 'Benign:Benign soft tissue proliferations - Fibro-histiocytic:Dermatofibroma' WHEN 'MELANOMA' THEN 'Malignant:Malignant melanocytic proliferations (Melanoma):Melanoma, NOS' WHEN 'DYSPLASTIC_NEVUS' THEN 'Benign:Benign melanocytic proliferations:Nevus:Nevus, Atypical, Dysplastic, or Clark' WHEN 'BASAL_CELL_CARCINOMA' THEN 'Malignant:Malignant adnexal epithelial proliferations - Follicular:Basal cell carcinoma' WHEN 'SQUAMOUS_CELL_CARCINOMA' THEN 'Malignant:Malignant epidermal proliferations:Squamous cell carcinoma, NOS' WHEN 'PAPILLOMA' THEN 'Benign:Benign epidermal proliferations:Papilloma' END, "clinical_status" = (CASE "diagnosis_class"::text WHEN 'NEVUS' THEN 'BENIGN' WHEN 'SEBORRHEIC_KERATOSIS' THEN 'BENIGN' WHEN 'HEMANGIOMA' THEN 'BENIGN' WHEN 'DERMATOFIBROMA' THEN 'BENIGN' WHEN 'MELANOMA' THEN 'MALIGNANT' WHEN 'DYSPLASTIC_NEVUS' THEN 'BORDERLINE' WHEN 'BASAL_CELL_CARCINOMA' THEN 'MALIGNANT' WHEN 'SQUAMOUS_CELL_CARCINOMA' THEN 'MALIGNANT' WHEN 'PAPILLOMA' THEN 'BENIGN' END)::"ClinicalStatus", "collection_id" = CASE WHEN "image_quality_score" IS NULL THEN (SELECT "id" FROM "collection" WHERE "slug" = 'imported-before-collections') ELSE (SELECT "id" FROM "collection" WHERE "slug" = 'own') END;
ALTER TABLE "image" ALTER COLUMN "clinical_status" SET NOT NULL, ALTER COLUMN "collection_id" SET NOT NULL, ALTER COLUMN "diagnosis_term" SET NOT NULL;

-- AlterTable
ALTER TABLE "initial_annotation" ADD COLUMN "diagnosis_term" TEXT, ALTER COLUMN "diagnosis_class" DROP NOT NULL;
UPDATE "initial_annotation" SET "diagnosis_term" = CASE "diagnosis_class"::text WHEN 'NEVUS' THEN 'Benign:Benign melanocytic proliferations:Nevus' WHEN 'SEBORRHEIC_KERATOSIS' THEN 'Benign:Benign epidermal proliferations:Seborrheic keratosis' WHEN 'HEMANGIOMA' THEN 'Benign:Benign soft tissue proliferations - Vascular:Hemangioma' WHEN 'DERMATOFIBROMA' THEN 'Benign:Benign soft tissue proliferations - Fibro-histiocytic:Dermatofibroma' WHEN 'MELANOMA' THEN 'Malignant:Malignant melanocytic proliferations (Melanoma):Melanoma, NOS' WHEN 'DYSPLASTIC_NEVUS' THEN 'Benign:Benign melanocytic proliferations:Nevus:Nevus, Atypical, Dysplastic, or Clark' WHEN 'BASAL_CELL_CARCINOMA' THEN 'Malignant:Malignant adnexal epithelial proliferations - Follicular:Basal cell carcinoma' WHEN 'SQUAMOUS_CELL_CARCINOMA' THEN 'Malignant:Malignant epidermal proliferations:Squamous cell carcinoma, NOS' WHEN 'PAPILLOMA' THEN 'Benign:Benign epidermal proliferations:Papilloma' END;
ALTER TABLE "initial_annotation" ALTER COLUMN "diagnosis_term" SET NOT NULL;

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

-- CreateIndex
CREATE INDEX "image_diagnosis_term_idx" ON "image"("diagnosis_term");

-- CreateIndex
CREATE INDEX "image_clinical_status_idx" ON "image"("clinical_status");

-- CreateIndex
CREATE INDEX "image_collection_id_idx" ON "image"("collection_id");

-- AddForeignKey
ALTER TABLE "image" ADD CONSTRAINT "image_collection_id_fkey" FOREIGN KEY ("collection_id") REFERENCES "collection"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "import_record" ADD CONSTRAINT "import_record_collection_id_fkey" FOREIGN KEY ("collection_id") REFERENCES "collection"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "fact_conflict" ADD CONSTRAINT "fact_conflict_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "release_image" ADD CONSTRAINT "release_image_release_id_fkey" FOREIGN KEY ("release_id") REFERENCES "release"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "release_image" ADD CONSTRAINT "release_image_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

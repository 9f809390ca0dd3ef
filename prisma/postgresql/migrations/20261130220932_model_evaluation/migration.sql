-- CreateTable
CREATE TABLE "model" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "policy_id" TEXT NOT NULL,
    "policy_version" TEXT NOT NULL,
    "labels" TEXT NOT NULL,
    "training_notes" TEXT,
    "created_by" TEXT NOT NULL,
    "owner_token_id" INTEGER,
    "prediction_count" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "model_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "prediction" (
    "model_id" INTEGER NOT NULL,
    "image_id" INTEGER NOT NULL,
    "scores" TEXT NOT NULL,
    "saliency_key" TEXT,
    "saliency_sha256" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "prediction_pkey" PRIMARY KEY ("model_id","image_id")
);

-- CreateTable
CREATE TABLE "evaluation" (
    "id" TEXT NOT NULL,
    "model_id" INTEGER NOT NULL,
    "input" TEXT NOT NULL,
    "result" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "evaluation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "review_region" (
    "id" SERIAL NOT NULL,
    "review_id" INTEGER NOT NULL,
    "structure" "DermoscopicStructure" NOT NULL,
    "polygons" TEXT,
    "mask_key" TEXT,

    CONSTRAINT "review_region_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "model_name_version_key" ON "model"("name", "version");

-- CreateIndex
CREATE INDEX "prediction_image_id_idx" ON "prediction"("image_id");

-- CreateIndex
CREATE INDEX "evaluation_model_id_created_at_idx" ON "evaluation"("model_id", "created_at");

-- CreateIndex
CREATE INDEX "review_region_review_id_idx" ON "review_region"("review_id");

-- AddForeignKey
ALTER TABLE "prediction" ADD CONSTRAINT "prediction_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "prediction" ADD CONSTRAINT "prediction_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "evaluation" ADD CONSTRAINT "evaluation_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "review_region" ADD CONSTRAINT "review_region_review_id_fkey" FOREIGN KEY ("review_id") REFERENCES "expert_review"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The data versions (migration data_version). A model's predictions are written only in the
-- transaction that updates its row (prediction_count), so the model's trigger raises the settings
-- version once per import instead of once per prediction. Review regions are written with their
-- review, and raise the reviews version as review structures do.
CREATE CONSTRAINT TRIGGER "dv_model" AFTER INSERT OR UPDATE OR DELETE ON "model" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('settings');
CREATE CONSTRAINT TRIGGER "dv_evaluation" AFTER INSERT OR UPDATE OR DELETE ON "evaluation" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('settings');
CREATE CONSTRAINT TRIGGER "dv_review_region" AFTER INSERT OR UPDATE OR DELETE ON "review_region" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('reviews');

-- CreateTable
CREATE TABLE "model" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "policy_id" TEXT NOT NULL,
    "policy_version" TEXT NOT NULL,
    "labels" TEXT NOT NULL,
    "training_notes" TEXT,
    "created_by" TEXT NOT NULL,
    "owner_token_id" INTEGER,
    "prediction_count" INTEGER NOT NULL DEFAULT 0,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "prediction" (
    "model_id" INTEGER NOT NULL,
    "image_id" INTEGER NOT NULL,
    "scores" TEXT NOT NULL,
    "saliency_key" TEXT,
    "saliency_sha256" TEXT,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("model_id", "image_id"),
    CONSTRAINT "prediction_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "model" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "prediction_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "evaluation" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "model_id" INTEGER NOT NULL,
    "input" TEXT NOT NULL,
    "result" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "evaluation_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "model" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "review_region" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "review_id" INTEGER NOT NULL,
    "structure" TEXT NOT NULL,
    "polygons" TEXT,
    "mask_key" TEXT,
    CONSTRAINT "review_region_review_id_fkey" FOREIGN KEY ("review_id") REFERENCES "expert_review" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "model_name_version_key" ON "model"("name", "version");

-- CreateIndex
CREATE INDEX "prediction_image_id_idx" ON "prediction"("image_id");

-- CreateIndex
CREATE INDEX "evaluation_model_id_created_at_idx" ON "evaluation"("model_id", "created_at");

-- CreateIndex
CREATE INDEX "review_region_review_id_idx" ON "review_region"("review_id");

-- The data versions (migration data_version). A model's predictions are written only in the
-- transaction that updates its row (prediction_count), so the model's trigger raises the settings
-- version once per import instead of once per prediction. Review regions are written with their
-- review, and raise the reviews version as review structures do.
CREATE TRIGGER "dv_model_insert" AFTER INSERT ON "model" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_model_update" AFTER UPDATE ON "model" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_model_delete" AFTER DELETE ON "model" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_evaluation_insert" AFTER INSERT ON "evaluation" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_evaluation_update" AFTER UPDATE ON "evaluation" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_evaluation_delete" AFTER DELETE ON "evaluation" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'settings'; END;
CREATE TRIGGER "dv_review_region_insert" AFTER INSERT ON "review_region" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'reviews'; END;
CREATE TRIGGER "dv_review_region_update" AFTER UPDATE ON "review_region" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'reviews'; END;
CREATE TRIGGER "dv_review_region_delete" AFTER DELETE ON "review_region" BEGIN UPDATE "data_version" SET "version" = "version" + 1 WHERE "scope" = 'reviews'; END;

-- CreateIndex
CREATE INDEX "image_created_at_id_idx" ON "image"("created_at", "id");

-- CreateIndex
CREATE INDEX "image_age_at_exam_id_idx" ON "image"("age_at_exam", "id");

-- CreateIndex
CREATE INDEX "image_image_quality_score_id_idx" ON "image"("image_quality_score", "id");

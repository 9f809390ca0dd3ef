-- CreateTable
CREATE TABLE "split" (
    "id" TEXT NOT NULL,
    "name" TEXT,
    "input" TEXT NOT NULL,
    "policy_id" TEXT NOT NULL,
    "policy_version" TEXT NOT NULL,
    "seed" INTEGER NOT NULL,
    "parts" TEXT NOT NULL,
    "image_count" INTEGER NOT NULL,
    "manifest_hash" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "certificate" TEXT NOT NULL,
    "extends_id" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "split_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "split_assignment" (
    "split_id" TEXT NOT NULL,
    "image_id" INTEGER NOT NULL,
    "part" TEXT NOT NULL,

    CONSTRAINT "split_assignment_pkey" PRIMARY KEY ("split_id","image_id")
);

-- CreateIndex
CREATE INDEX "split_assignment_split_id_part_image_id_idx" ON "split_assignment"("split_id", "part", "image_id");

-- CreateIndex
CREATE INDEX "split_assignment_image_id_idx" ON "split_assignment"("image_id");

-- AddForeignKey
ALTER TABLE "split_assignment" ADD CONSTRAINT "split_assignment_split_id_fkey" FOREIGN KEY ("split_id") REFERENCES "split"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "split_assignment" ADD CONSTRAINT "split_assignment_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "image"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- CreateTable
CREATE TABLE "datasheet_text" (
    "key" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "updated_by" TEXT NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "datasheet_text_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "datasheet_text_change" (
    "id" SERIAL NOT NULL,
    "key" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "old_text" TEXT,
    "new_text" TEXT NOT NULL,

    CONSTRAINT "datasheet_text_change_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "datasheet_text_change_key_idx" ON "datasheet_text_change"("key");

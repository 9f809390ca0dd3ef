-- CreateTable
CREATE TABLE "datasheet_text" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "text" TEXT NOT NULL,
    "updated_by" TEXT NOT NULL,
    "updated_at" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "datasheet_text_change" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "key" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "old_text" TEXT,
    "new_text" TEXT NOT NULL
);

-- CreateIndex
CREATE INDEX "datasheet_text_change_key_idx" ON "datasheet_text_change"("key");

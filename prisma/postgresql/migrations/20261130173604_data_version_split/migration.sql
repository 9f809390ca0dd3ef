-- A split's assignments are written only in the transaction that inserts the split row, and go with
-- it (ON DELETE CASCADE): the split's own trigger raises the settings version for them. The per-row
-- trigger on split_assignment ran once per assignment, a million times for a split of a million
-- images.
DROP TRIGGER "dv_split_assignment" ON "split_assignment";

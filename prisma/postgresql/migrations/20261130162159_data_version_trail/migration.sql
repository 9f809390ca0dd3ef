-- An image's version alone (the optimistic-concurrency bump every write to its trail makes first)
-- is data too: Image.version is read through the API. It raises the reviews scope, as review_count
-- does: the facets and filters (the records scope) read neither.
CREATE CONSTRAINT TRIGGER "dv_image_version" AFTER UPDATE OF "version" ON "image" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_data_version"('reviews');

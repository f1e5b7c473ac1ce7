"""Documents: metadata and versions in the database, contents behind the BlobStore port."""

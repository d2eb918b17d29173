"""The revisions, oldest first: ``0001`` is the schema of release 9dd431c."""

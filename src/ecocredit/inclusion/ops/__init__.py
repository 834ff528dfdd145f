"""Carbon-inclusion writes, one file per kind of thing written; each is one transaction."""

"""Everything SCIM 2.0 (docs/rules.md section 11.2): schemas, filters, PATCH, users, groups and the directory's
changes."""

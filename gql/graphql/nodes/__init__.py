"""node(id:) and nodes(ids:): any object of the viewer's organization by its global id (docs/rules.md section 17)."""

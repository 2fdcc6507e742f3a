"""Product security roles (docs/rules.md section 14): the roles of each product, who holds them and from which source."""

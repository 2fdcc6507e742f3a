"""Product security roles (docs/rules.md section 14): the roles of each product (`catalog`: shipped ones and the
organization's own, `definitions`: creating, changing and deleting its own), who holds them directly (`grants`) or
through groups (`group_roles`), and the effective roles with their sources that `accessCheck` answers (`effective`)."""

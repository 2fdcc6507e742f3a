"""Users, organizations, admin roles, sign-in, sessions and API tokens."""

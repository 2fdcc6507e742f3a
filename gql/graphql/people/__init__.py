"""Users, the viewer, the organization, sign-in and API tokens."""

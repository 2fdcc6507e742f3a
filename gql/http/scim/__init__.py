"""/scim/v2: SCIM 2.0 provisioning over HTTP (RFC 7644), thin routes over models/scim/.

Every answer is `application/scim+json`; every refusal an RFC 7644 error body. The credential is an API token of
scope SCIM (401 without a valid token, 403 for a GRAPHQL token); everything is scoped to its organization and every
change is audited with its owner as actor and `details.via = "scim"`.

endpoint.py: the request/response plumbing; query.py: what a list asks for; discovery.py, users.py, groups.py: the
endpoints; routes.py: the app mounted at /scim/v2."""

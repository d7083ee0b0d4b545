"""Identity and access: who is calling, and may they do this here (issue 9, foundation).

How it is meant to be wired (the next slice; no route uses it yet):

- **Pages** (the citizen site, the staff site): ``login.OidcLogin.start`` on "Log ind"
  with the browser's server-side session id, ``complete`` on the callback; the principal
  is then kept in the server-side session (the service's database, rotated on login), never
  in a cookie value or a URL. The session cookie is HttpOnly, SameSite=Lax, Secure outside
  the demo.
- **APIs**: ``Authorization: Bearer <access token>`` checked by
  ``tokens.BearerAuthenticator`` against the issuer's JWKS, or ``Authorization: Bearer
  plk_...`` (an API key, recognised by ``api_keys.looks_like_api_key`` and never parsed as a
  JWT) checked by ``api_keys.verify_api_key``. No credential: 401 (``Unauthenticated``).
- **Every staff route** asks ``access.may(principal, action, job_centre_code)`` for the
  job centre the resource belongs to, and lists filter by ``access.job_centres_where``.
  A resource of a job centre the caller has no role at answers **404, not 403**, so ids do
  not leak; 403 only where the caller may read the resource but not do this to it.
- **Citizens' routes** take the CPR number from the principal, never from the body;
  ``may`` allows citizen self-service, and the operation checks that the booking is theirs.
- The CPR access log records ``str(principal)``-style actors: a staff user id, a machine's
  key id, or "the citizen themself".

Modules: ``principal`` (Citizen, StaffMember, Machine; roles and grants), ``access`` (the
table of actions, ``may``), ``grants`` (settings text, group mapping), ``api_keys``,
``clients`` (the two provider registrations from the settings), ``discovery`` (metadata and
keys, cached), ``tokens`` (JWT checks, bearer tokens), ``claims`` (principal from claims),
``login`` (code flow with PKCE). ``principal``, ``access``, ``grants``, ``api_keys`` and
``claims`` are pure; ``discovery``, ``tokens`` and ``login`` talk HTTP to the provider.
"""

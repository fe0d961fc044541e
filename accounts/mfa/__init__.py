"""The second factor (MFA): TOTP with django-otp, single-use recovery codes, and the sign-in's code step.

- `services`: enrol, verify, reset (each write audited).
- `login`: the state a sign-in leaves in the session, and the lockout glue (django-axes) for wrong codes.
- `middleware`: a user who owes a second factor reaches only the pages that settle it.
- `views`: the code step of every sign-in (the site's and the admin's), and enrolment (from the account page,
  accounts/account_views.py).
"""

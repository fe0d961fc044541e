"""`{{ fragment|csrf_filled:csrf_token }}`: a cached fragment's forms posting with the reader's CSRF token
(accounts/fragments.py)."""

from __future__ import annotations

from django import template

from accounts import fragments

register = template.Library()
register.filter("csrf_filled", fragments.csrf_filled)

"""The test suite's settings: the project's settings, DEBUG off as in production, with keys of its
own (tests never hold real data) and plain HTTP (the test client and the browser tests' live server
have no TLS)."""

import os

for _name, _value in {
    "SECRET_KEY": "test-only-secret-key-for-the-weiquan-suite-not-for-any-deployment",
    "FIELD_ENCRYPTION_KEY": "test-only-field-encryption-salt",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "SECURE_HSTS_SECONDS": "0",
    # The suite makes many requests from one address in little time, and counters in a shared
    # Redis outlive a test: rates no test reaches by accident. tests/core/test_throttling.py sets
    # small ones to prove each throttle.
    "WEIQUAN_THROTTLE_ANON": "100000/minute",
    "WEIQUAN_THROTTLE_USER": "100000/minute",
    "WEIQUAN_THROTTLE_IDENTITY_LOOKUP": "100000/minute",
    "WEIQUAN_THROTTLE_VERIFY": "100000/minute",
}.items():
    os.environ.setdefault(_name, _value)
os.environ["DEBUG"] = "false"

from .settings import *  # noqa: E402,F401,F403

# No collectstatic before a test run: static files as they are in the apps' folders, found and served
# by WhiteNoise as in development (the browser tests load the real CSS and scripts), not the hashed
# names of production (config/settings.py, STORAGES).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

"""Settings for the test suite: production settings with test-only secrets and a throwaway data dir."""

import os
import tempfile

os.environ.setdefault("PORTOLAN_SECRET_KEY", "tests-only-not-a-secret-" + "x" * 40)
os.environ.setdefault("PORTOLAN_SSL_REDIRECT", "0")
os.environ.setdefault("PORTOLAN_SECURE_COOKIES", "0")
os.environ.setdefault("PORTOLAN_DATA_DIR", tempfile.mkdtemp(prefix="portolan-test-"))

from portolan.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise expects it

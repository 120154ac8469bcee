"""CSRF, production settings, and the account commands (createuser, token)."""

import hashlib
import io
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from portolan.core.models import ApiToken, AuditEntry, Profile
from portolan.core.roles import Role
from portolan.portfolio.models import Objective
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_page_post_without_csrf_token_is_refused(manager):
    client = _csrf_client(manager)
    response = client.post(
        reverse("portfolio:objective_add"), {"code": "O-1", "name": "Resilience", "weight": "1"}
    )
    assert response.status_code == 403
    assert not Objective.objects.exists()


def test_page_post_with_csrf_token_passes(manager):
    client = _csrf_client(manager)
    client.get(reverse("portfolio:objective_add"))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("portfolio:objective_add"),
        {"code": "O-1", "name": "Resilience", "weight": "1", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert Objective.objects.filter(code="O-1").exists()


def test_api_write_with_a_session_needs_the_csrf_token(manager):
    response = _csrf_client(manager).post(
        reverse("api:objective-list"), {"code": "O-2", "name": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Objective.objects.exists()


def test_api_write_with_a_token_needs_no_csrf_token(manager):
    _, raw = ApiToken.issue(manager)
    response = Client(enforce_csrf_checks=True).post(
        reverse("api:objective-list"),
        {"code": "O-3", "name": "x"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {raw}",
    )
    assert response.status_code == 201


def test_pages_send_the_security_headers(viewer):
    response = client_for(viewer).get(reverse("home"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_edit_pages_do_not_redirect_to_another_site(manager):
    response = client_for(manager).post(
        reverse("portfolio:objective_add"),
        {"code": "O-4", "name": "x", "weight": "1", "next": "https://evil.example.org/"},
    )
    assert response.status_code == 302
    assert response["Location"] == Objective.objects.get(code="O-4").get_absolute_url()


# ---------------------------------------------------------------------------------------
# Production settings (each in a fresh interpreter: settings are read once per process)
# ---------------------------------------------------------------------------------------


def _run_django(code: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PORTOLAN_", "DJANGO_"))}
    clean |= {"DJANGO_SETTINGS_MODULE": "portolan.settings", **env}
    script = "import django; django.setup()\n" + code
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_deploy_check_is_clean_with_production_settings(tmp_path):
    result = _run_django(
        "from django.core.management import call_command\n"
        "call_command('check', '--deploy', '--fail-level', 'WARNING')\n",
        PORTOLAN_SECRET_KEY=secrets.token_urlsafe(60),
        PORTOLAN_DEBUG="0",
        PORTOLAN_ALLOWED_HOSTS="portolan.example.org",
        PORTOLAN_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "no issues" in result.stdout + result.stderr


def test_settings_refuse_to_start_without_a_secret_key_unless_debugging(tmp_path):
    refused = _run_django("", PORTOLAN_DEBUG="0", PORTOLAN_DATA_DIR=str(tmp_path))
    assert refused.returncode != 0
    assert "ImproperlyConfigured" in refused.stderr and "PORTOLAN_SECRET_KEY is required" in refused.stderr
    debugging = _run_django(
        "from django.conf import settings; print(settings.DEBUG)",
        PORTOLAN_DEBUG="1",
        PORTOLAN_DATA_DIR=str(tmp_path),
    )
    assert debugging.returncode == 0, debugging.stderr[-2000:]
    assert debugging.stdout.strip() == "True"


def test_settings_refuse_a_malformed_boolean(tmp_path):
    result = _run_django("", PORTOLAN_DEBUG="maybe", PORTOLAN_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "PORTOLAN_DEBUG='maybe' is not a boolean" in result.stderr


# ---------------------------------------------------------------------------------------
# portolan createuser / portolan token
# ---------------------------------------------------------------------------------------

GOOD_PASSWORD = "correct-horse-battery-42"


def test_createuser_makes_an_account_with_its_role_that_can_log_in():
    out = io.StringIO()
    call_command("createuser", "alice", "--role", Role.CONTRIBUTOR, "--password", GOOD_PASSWORD, stdout=out)
    assert "Created alice (Contributor)" in out.getvalue()
    profile = Profile.objects.get(user__username="alice")
    assert profile.role == Role.CONTRIBUTOR and not profile.user.is_superuser
    assert Client().login(username="alice", password=GOOD_PASSWORD)
    entry = AuditEntry.objects.get(content_type__model="profile", object_id=str(profile.pk))
    assert (entry.action, entry.source, entry.actor) == ("create", "cli", None)


def test_createuser_admin_is_a_superuser_and_reads_the_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("PORTOLAN_PASSWORD", GOOD_PASSWORD)
    call_command("createuser", "root2", "--role", Role.ADMIN, stdout=io.StringIO())
    profile = Profile.objects.get(user__username="root2")
    assert profile.user.is_superuser and profile.role == Role.ADMIN


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--password", "short"], "too short"),
        ([], "Give --password"),
    ],
)
def test_createuser_refuses_weak_or_missing_passwords(args, message, monkeypatch):
    monkeypatch.delenv("PORTOLAN_PASSWORD", raising=False)
    with pytest.raises(CommandError, match=message):
        call_command("createuser", "bob", "--role", Role.VIEWER, *args)
    assert not Profile.objects.exists()


def test_createuser_refuses_an_existing_username(viewer):
    with pytest.raises(CommandError, match="already exists"):
        call_command("createuser", "viewer", "--role", Role.ADMIN, "--password", GOOD_PASSWORD)
    assert Profile.objects.get(user=viewer).role == Role.VIEWER


def test_token_create_prints_a_token_that_authenticates_and_only_its_hash_is_stored(manager):
    out = io.StringIO()
    call_command("token", "create", "pmo", "--name", "ci", stdout=out)
    raw = out.getvalue().strip()
    assert raw.startswith("ptl_") and len(raw) > 40
    token = ApiToken.objects.get(user=manager)
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    stored = [str(v) for v in ApiToken.objects.values_list("name", "prefix", "key_hash").get()]
    assert all(raw not in v for v in stored)
    assert AuditEntry.objects.get(content_type__model="apitoken").source == "cli"
    response = Client().get(reverse("api:initiative-list"), HTTP_AUTHORIZATION=f"Token {raw}")
    assert response.status_code == 200


def test_token_revoke_stops_the_token_from_authenticating(manager):
    out = io.StringIO()
    call_command("token", "create", "pmo", stdout=out)
    raw = out.getvalue().strip()
    call_command("token", "revoke", "pmo", raw[4:12], stdout=io.StringIO())
    assert not ApiToken.objects.exists()
    assert Client().get(reverse("api:initiative-list"), HTTP_AUTHORIZATION=f"Token {raw}").status_code == 401


def test_token_create_for_an_unknown_user_fails():
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("token", "create", "ghost")

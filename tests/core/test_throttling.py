"""Throttling (issue 11, item 4; core/throttling.py): sign-in locks after repeated failures per user
name and per address (django-axes: the web sign-in, the admin's and the API token endpoint), the
API limits anonymous clients and users, look-ups of a worker by identity have a stricter rate, and
the public verification page and its JSON twin are limited per address.

The suite's settings raise every rate so no other test is throttled by accident; each test here sets
small ones and proves the throttle, in the real cache (tests/core/throttle_cache.py)."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from core.roles import Role
from tests.core.throttle_cache import fresh_cache, rates  # noqa: F401  (fixture)
from tests.harness import on
from tests.scenarios import make_user, make_worker, valid_resident_id

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

PASSWORD = "pw-for-tests-1"  # tests.scenarios.make_user's


def _web_login(client, username, password, *, path="/accounts/login/", address="198.51.100.7"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# --------------------------------------------------------------------------------------------------
# Sign-in lockout (django-axes)
# --------------------------------------------------------------------------------------------------


def test_fifty_wrong_passwords_then_the_right_one_is_refused_on_the_web(settings):
    officer = make_user(Role.INTAKE_OFFICER)
    client = Client()
    answers = [_web_login(client, officer.username, f"wrong-{i}").status_code for i in range(50)]
    # Wrong passwords show the form again until the limit, then the lockout page.
    limit = settings.AXES_FAILURE_LIMIT
    assert set(answers[:limit - 1]) == {200} and set(answers[limit:]) == {429}

    response = _web_login(client, officer.username, PASSWORD)
    assert response.status_code == 429 and not _signed_in(client)
    page = response.content.decode()
    assert "登录失败次数过多" in page and "分钟后再试" in page
    assert "core/locked_out.html" in [t.name for t in response.templates]
    assert "ui/weiquan.css" in page  # the sign-in page's look
    assert int(response["Retry-After"]) > 0


def test_a_lock_lasts_the_cool_off_and_no_longer(settings):
    officer = make_user(Role.INTAKE_OFFICER)
    start = timezone.localdate()
    with on(start, 9):
        for i in range(settings.AXES_FAILURE_LIMIT):
            _web_login(Client(), officer.username, f"wrong-{i}")
        assert _web_login(Client(), officer.username, PASSWORD).status_code == 429
    minutes = settings.AXES_COOLOFF_TIME.total_seconds() / 60
    with on(start, 9 + int(minutes // 60) + 1):
        client = Client()
        response = _web_login(client, officer.username, PASSWORD)
        assert response.status_code == 302 and _signed_in(client)


def test_the_lock_is_per_user_name_from_any_address(settings):
    officer = make_user(Role.INTAKE_OFFICER)
    for i in range(settings.AXES_FAILURE_LIMIT):
        _web_login(Client(), officer.username, "wrong", address=f"198.51.100.{10 + i}")
    client = Client()
    assert _web_login(client, officer.username, PASSWORD, address="203.0.113.99").status_code == 429
    assert not _signed_in(client)
    # Someone else, from an address that did nothing wrong, signs in as usual.
    other = make_user(Role.INTAKE_OFFICER)
    assert _web_login(Client(), other.username, PASSWORD, address="203.0.113.99").status_code == 302


def test_the_lock_is_per_address_whatever_the_user_name(settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        _web_login(Client(), f"guess{i}", "wrong", address="198.51.100.66")
    officer = make_user(Role.INTAKE_OFFICER)
    client = Client()
    assert _web_login(client, officer.username, PASSWORD, address="198.51.100.66").status_code == 429
    assert not _signed_in(client)
    assert _web_login(Client(), officer.username, PASSWORD, address="198.51.100.67").status_code == 302


def test_a_success_before_the_limit_starts_the_count_again(settings):
    officer = make_user(Role.INTAKE_OFFICER)
    for _round in range(3):
        for i in range(settings.AXES_FAILURE_LIMIT - 1):
            assert _web_login(Client(), officer.username, f"wrong-{i}").status_code == 200
        assert _web_login(Client(), officer.username, PASSWORD).status_code == 302


def test_the_admin_sign_in_locks_too(settings):
    boss = make_user(Role.SUPERVISOR, is_staff=True)
    for i in range(50):
        _web_login(Client(), boss.username, f"wrong-{i}", path="/admin/login/")
    client = Client()
    response = _web_login(client, boss.username, PASSWORD, path="/admin/login/")
    assert response.status_code == 429 and not _signed_in(client)
    assert "登录失败次数过多" in response.content.decode()


def test_the_token_endpoint_locks_and_says_so_in_json(settings):
    officer = make_user(Role.INTAKE_OFFICER)
    api = APIClient()
    url = "/api/v1/auth/token/"
    first = api.post(url, {"username": officer.username, "password": "wrong"}, format="json", REMOTE_ADDR="198.51.100.9")
    assert first.status_code == 400 and first.json() == {"non_field_errors": ["用户名或密码不正确。"]}
    for i in range(49):
        api.post(url, {"username": officer.username, "password": f"wrong-{i}"}, format="json", REMOTE_ADDR="198.51.100.9")
    response = api.post(url, {"username": officer.username, "password": PASSWORD}, format="json", REMOTE_ADDR="198.51.100.9")
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "locked_out" and "登录失败次数过多" in body["detail"] and "token" not in body
    assert int(response["Retry-After"]) > 0
    # The lock is the same one the web sign-in keeps.
    assert _web_login(Client(), officer.username, PASSWORD, address="203.0.113.5").status_code == 429


def test_a_sign_in_without_a_request_is_left_to_the_other_backends():
    # manage.py shell, the test client's login(): not an attempt from any address.
    officer = make_user(Role.INTAKE_OFFICER)
    assert Client().login(username=officer.username, password=PASSWORD)


# --------------------------------------------------------------------------------------------------
# API rates (DRF throttles)
# --------------------------------------------------------------------------------------------------


def test_anonymous_clients_are_limited_per_address(settings):
    rates(settings, anon="3/minute")
    api = APIClient()
    url = "/api/v1/auth/token/"
    for _ in range(3):
        assert api.post(url, {}, format="json", REMOTE_ADDR="198.51.100.20").status_code == 400
    response = api.post(url, {}, format="json", REMOTE_ADDR="198.51.100.20")
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled" and "请求过于频繁" in body["detail"]
    assert 0 < int(response["Retry-After"]) <= 60
    assert api.post(url, {}, format="json", REMOTE_ADDR="198.51.100.21").status_code == 400


def test_signed_in_users_are_limited_per_user(settings):
    rates(settings, user="5/minute")
    one, other = make_user(Role.LAWYER), make_user(Role.LAWYER)
    api = APIClient()
    api.force_authenticate(one)
    assert [api.get("/api/v1/me/").status_code for _ in range(6)] == [200] * 5 + [429]
    api.force_authenticate(other)
    assert api.get("/api/v1/me/").status_code == 200


def test_worker_look_ups_by_identity_have_a_stricter_rate(settings):
    rates(settings, identity_lookup="3/minute")
    make_worker(id_number=valid_resident_id(711), phone="13800007711")
    officer = make_user(Role.INTAKE_OFFICER)
    api = APIClient()
    api.force_authenticate(officer)
    look_ups = [f"?id_number={valid_resident_id(700 + i)}" for i in range(2)] + ["?phone=13800007711"]
    assert [api.get(f"/api/v1/workers/{q}").status_code for q in look_ups] == [200, 200, 200]
    response = api.get(f"/api/v1/workers/?id_number={valid_resident_id(711)}")
    assert response.status_code == 429 and response.json()["code"] == "throttled"
    assert api.get("/api/v1/workers/?search=13800007711").status_code == 429
    # The list itself is not a look-up; another user has look-ups of their own.
    assert api.get("/api/v1/workers/").status_code == 200
    api.force_authenticate(make_user(Role.INTAKE_OFFICER))
    assert api.get(f"/api/v1/workers/?id_number={valid_resident_id(711)}").status_code == 200


def test_the_verify_page_is_limited_per_address(settings):
    rates(settings, verify="3/minute")
    client = Client()
    answers = [client.get(f"/verify/ABCDEFGH{i}", REMOTE_ADDR="198.51.100.30").status_code for i in range(3)]
    assert answers == [404, 404, 404]
    response = client.get("/verify/ABCDEFGHJ", REMOTE_ADDR="198.51.100.30")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    page = response.content.decode()
    assert "请求过于频繁" in page and "未找到" not in page
    # The JSON endpoint counts with the page; another address is not affected.
    api = APIClient()
    assert api.get("/api/v1/verify/ABCDEFGHJ/", REMOTE_ADDR="198.51.100.30").status_code == 429
    assert client.get("/verify/ABCDEFGHJ", REMOTE_ADDR="198.51.100.31").status_code == 404
    assert api.get("/api/v1/verify/ABCDEFGHJ/", REMOTE_ADDR="198.51.100.31").status_code == 404


def test_the_verify_limit_is_a_window_that_moves_on(settings):
    rates(settings, verify="2/minute")
    start = timezone.localtime()
    with on(start.date(), start.hour, start.minute):
        client = Client()
        for _ in range(2):
            client.get("/verify/ABCDEFGHJ", REMOTE_ADDR="198.51.100.40")
        assert client.get("/verify/ABCDEFGHJ", REMOTE_ADDR="198.51.100.40").status_code == 429
    later = start + datetime.timedelta(minutes=2)
    with on(later.date(), later.hour, later.minute):
        assert Client().get("/verify/ABCDEFGHJ", REMOTE_ADDR="198.51.100.40").status_code == 404

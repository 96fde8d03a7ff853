"""Password rules where accounts are created (health.registry.create_user), and their problem
details and translations in the web service."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, func, select

from api.errors import DOMAIN_PROBLEMS
from api.i18n import gettext
from health.models import User, UserCreate
from health.passwords import PasswordRuleError, check_password
from health.registry import create_user, verify_password

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("password", "username", "rule"),
    [
        ("abcdefghi", "ann", "too-short"),  # 9 characters
        ("密码密码密码密码密", "ann", "too-short"),  # 9 characters, 27 bytes
        ("0123456789", "ann", "only-digits"),
        ("12345678901234", "ann", "only-digits"),
        ("Doctor-0001", "doctor-0001", "same-as-username"),
        (" doctor-0001", "DOCTOR-0001", "same-as-username"),
    ],
)
def test_each_rule_is_named(password: str, username: str, rule: str) -> None:
    with pytest.raises(PasswordRuleError) as caught:
        check_password(password, username)
    assert caught.value.rule == rule


@pytest.mark.parametrize(
    "password", ["abcdefghij", "0123456789a", "doctor-0001x", "密码密码密码密码密码"]
)
def test_passwords_that_meet_the_rules(password: str) -> None:
    check_password(password, "doctor-0001")  # no error


def test_too_short_names_the_minimum() -> None:
    with pytest.raises(PasswordRuleError) as caught:
        check_password("short", "ann")
    assert str(caught.value) == "The password is too short: use at least 10 characters."
    assert caught.value.params == {"min_length": 10}


def test_create_user_refuses_a_weak_password_and_stores_nothing(session: Session) -> None:
    weak = UserCreate(username="ann", role="parent", password="1234567890")
    with pytest.raises(PasswordRuleError):
        create_user(session, weak, now=NOW)
    assert session.exec(select(func.count()).select_from(User)).one() == 0
    good = UserCreate(username="ann", role="parent", password="ann-secret-1")
    user = create_user(session, good, now=NOW)
    assert verify_password(user.password_hash, "ann-secret-1")


def test_the_problem_is_specific_and_translated() -> None:
    with pytest.raises(PasswordRuleError) as caught:
        check_password("0123456789", "ann")
    problem = DOMAIN_PROBLEMS[PasswordRuleError](caught.value)
    assert problem.status_code == 422
    assert problem.type_ == "urn:childhealth:problem:weak-password"
    assert problem.extra["rule"] == "only-digits"
    assert gettext("zh-CN", problem.extra["message"]) == "密码不能全部是数字。"
    assert gettext("zh-CN", problem.title) == "密码不符合要求"
    short = "The password is too short: use at least {min_length} characters."
    assert gettext("zh-CN", short, min_length=10) == "密码太短：请至少使用 10 个字符。"

"""Password rules where accounts are created (health.registry.create_user): length, digits only,
the username, and zxcvbn's estimate (repeated, common, guessable); their problem details and
translations in the web service."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, func, select

from api.errors import DOMAIN_PROBLEMS
from api.i18n import gettext
from health.demo import DEMO_PASSWORD
from health.models import User, UserCreate
from health.passwords import MESSAGES, MIN_LENGTH, PasswordRuleError, check_password
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
        ("aaaaaaaaaa", "ann", "repeated"),
        (" " * 10, "ann", "repeated"),  # ten spaces
        ("密码密码密码密码密码", "ann", "repeated"),
        ("a" * 200, "ann", "repeated"),  # judged on its first 72 characters
        ("password12", "ann", "common"),
        ("qwertyuiop", "ann", "common"),
        ("Doctor-0001!", "doctor-0001", "common"),  # the username with a mark
        ("abcdefghij", "ann", "guessable"),
        ("0123456789a", "ann", "guessable"),
        ("2024-01-01x", "ann", "guessable"),
    ],
)
def test_each_rule_is_named(password: str, username: str, rule: str) -> None:
    with pytest.raises(PasswordRuleError) as caught:
        check_password(password, username)
    assert caught.value.rule == rule


@pytest.mark.parametrize(
    "password",
    [
        "Juniper kettle 42 orbit",  # a passphrase
        "doctor-0001 drinks green tea",
        "blue falcon 0123456789",
        "我的孩子喜欢吃苹果和香蕉",
        DEMO_PASSWORD,  # the demo accounts
    ],
)
def test_passwords_that_meet_the_rules(password: str) -> None:
    check_password(password, "doctor-0001")  # no error


def test_the_demo_password_passes_for_every_demo_account() -> None:
    names = ["admin", "bureau-province", "bureau-county", "doctor-1", "facility-1", "parent-1"]
    for username in names:
        check_password(DEMO_PASSWORD, username)


def test_every_rule_has_its_message_in_both_languages() -> None:
    assert len(set(MESSAGES)) == 6
    for message in MESSAGES:
        english = gettext("en", message, min_length=MIN_LENGTH)
        chinese = gettext("zh-CN", message, min_length=MIN_LENGTH)
        assert english == message.format(min_length=MIN_LENGTH)
        assert chinese != english and "{" not in chinese


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


def test_a_weak_password_is_a_specific_translated_problem() -> None:
    with pytest.raises(PasswordRuleError) as caught:
        check_password("password12", "ann")
    problem = DOMAIN_PROBLEMS[PasswordRuleError](caught.value)
    assert (problem.status_code, problem.extra["rule"]) == (422, "common")
    common = "密码太常见：它基于常用密码、单词、姓名或用户名。"
    assert gettext("zh-CN", problem.extra["message"]) == common

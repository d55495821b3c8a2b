import pytest

from lml.identity.domain.rules import check_new_user, email_problem, name_problem, normalize_email, password_problem
from lml.platform.domain.errors import InvalidInput


def test_emails_are_trimmed_and_lowered() -> None:
    assert normalize_email("  Ada.Lovelace@Example.COM \n") == "ada.lovelace@example.com"


@pytest.mark.parametrize("email", ["ada@example.com", "a.b+tag@sub.example.co.uk", "o'brien@example.ie"])
def test_ordinary_emails_pass(email: str) -> None:
    assert email_problem(email) is None


@pytest.mark.parametrize(
    "email",
    ["", "ada", "ada@", "@example.com", "ada@example", "ada@@example.com", "a da@example.com", "ada@example..com",
     "ada@.example.com", "ada\x00@example.com", "x" * 65 + "@example.com", "a@" + "b" * 250 + ".com"],
)
def test_malformed_emails_are_refused(email: str) -> None:
    assert email_problem(email) is not None


def test_passwords_must_be_10_to_256_characters() -> None:
    assert password_problem("123456789") is not None
    assert password_problem("1234567890") is None
    assert password_problem("x" * 256) is None
    assert password_problem("x" * 257) is not None


def test_names_are_1_to_200_characters_without_control_characters() -> None:
    assert name_problem("") is not None
    assert name_problem("Ada") is None
    assert name_problem("x" * 201) is not None
    assert name_problem("Ada\nLovelace") is not None


def test_a_new_user_is_normalized() -> None:
    new = check_new_user(" Ada@Example.com ", "correct horse", "  Ada  ")
    assert (new.email, new.password, new.name) == ("ada@example.com", "correct horse", "Ada")


def test_every_broken_rule_of_a_new_user_is_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_new_user("not-an-email", "short", " ")
    assert [e.path for e in caught.value.errors] == ["/email", "/password", "/name"]

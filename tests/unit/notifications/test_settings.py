"""Mail and SMS settings: development defaults that match the local sink, the SMTP URL's forms, and a
clear error naming each bad variable without ever echoing a password or a token."""

from __future__ import annotations

import pytest

from lml.config import Settings, SettingsError

TWILIO = {
    "LML_TWILIO_ACCOUNT_SID": "AC" + "0123456789abcdef" * 2,
    "LML_TWILIO_AUTH_TOKEN": "twilio-auth-token-secret",
    "LML_TWILIO_FROM": "+14155550100",
}


def test_defaults_send_mail_to_the_local_sink_from_lml_and_no_sms() -> None:
    settings = Settings.from_env({})

    server = settings.smtp_server
    assert (server.host, server.port, server.tls, server.username, server.password) == (
        "127.0.0.1", 1025, "none", None, None)
    assert settings.mail_from == "LML <tickets@localhost>"
    assert settings.public_base_url == "http://127.0.0.1:8000"
    assert not settings.sms_enabled


@pytest.mark.parametrize(
    ("url", "host", "port", "tls", "username", "password"),
    [
        ("smtp://mail.example.com:587?starttls=true", "mail.example.com", 587, "starttls", None, None),
        ("smtps://lml:p%40ss%3Aword@mail.example.com:465", "mail.example.com", 465, "implicit", "lml", "p@ss:word"),
        ("smtps://mail.example.com", "mail.example.com", 465, "implicit", None, None),
        ("smtp://relay.internal", "relay.internal", 25, "none", None, None),
        ("smtp://user@relay.internal:2525?starttls=false", "relay.internal", 2525, "none", "user", None),
    ],
)
def test_the_smtp_url_says_where_how_and_as_whom(
    url: str, host: str, port: int, tls: str, username: str | None, password: str | None
) -> None:
    server = Settings.from_env({"LML_SMTP_URL": url}).smtp_server

    assert (server.host, server.port, server.tls, server.username, server.password) == (
        host, port, tls, username, password)


def test_the_smtp_password_never_shows_in_the_settings_repr() -> None:
    server = Settings.from_env({"LML_SMTP_URL": "smtps://lml:hunter2secret@mail.example.com"}).smtp_server

    assert "hunter2secret" not in repr(server)


@pytest.mark.parametrize(
    "url",
    ["http://mail.example.com:25", "smtp://:25", "smtp://lml:hunter2secret@mail.example.com:99999",
     "smtp://mail.example.com:25?starttls=yes", "smtps://lml:hunter2secret@mail.example.com?starttls=true",
     "smtp://mail.example.com:25?tls=1", "smtp://mail.example.com:25/inbox", "mail.example.com:25"],
)
def test_a_malformed_smtp_url_is_named_without_echoing_it(url: str) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"LML_SMTP_URL": url})

    assert "LML_SMTP_URL must be smtp://[user:password@]host:port" in str(error.value)
    assert "hunter2secret" not in str(error.value) and "mail.example.com" not in str(error.value)


@pytest.mark.parametrize("mail_from", ["nobody", "LML <tickets@localhost>\r\nBcc: everyone@example.com"])
def test_the_sender_must_be_one_address(mail_from: str) -> None:
    with pytest.raises(SettingsError, match="LML_MAIL_FROM must be an address"):
        Settings.from_env({"LML_MAIL_FROM": mail_from})


@pytest.mark.parametrize(("variable", "value"), [("LML_PUBLIC_BASE_URL", "apps.example.com"),
                                                 ("LML_TWILIO_API_BASE", "ftp://twilio.example.com")])
def test_base_urls_must_be_http_or_https(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"{variable} must be a URL starting with http:// or https://"):
        Settings.from_env({variable: value})


def test_sms_is_on_when_the_three_twilio_settings_are_set() -> None:
    settings = Settings.from_env(TWILIO)

    assert settings.sms_enabled
    assert Settings.from_env({**TWILIO, "LML_TWILIO_FROM": "MG" + "0123456789abcdef" * 2}).sms_enabled


def test_twilio_settings_are_set_together_and_the_token_is_never_echoed() -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"LML_TWILIO_AUTH_TOKEN": TWILIO["LML_TWILIO_AUTH_TOKEN"]})

    assert "are set together, or none" in str(error.value)
    assert TWILIO["LML_TWILIO_AUTH_TOKEN"] not in str(error.value)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [("LML_TWILIO_ACCOUNT_SID", "SK123", "LML_TWILIO_ACCOUNT_SID must be an account SID"),
     ("LML_TWILIO_FROM", "4155550100", "LML_TWILIO_FROM must be a phone number in E.164 form")],
)
def test_a_malformed_twilio_setting_is_named(variable: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({**TWILIO, variable: value})

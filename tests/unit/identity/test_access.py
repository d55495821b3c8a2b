import pytest

from lml.identity.domain.access import AccessFacts, decide_access, parse_org_id
from lml.identity.domain.errors import NotAnOperator
from lml.platform.domain.errors import Forbidden, InvalidInput

ORG = "0190a5e2-7b9c-7d3e-8f00-000000000001"
USER = "0190a5e2-7b9c-7d3e-8f00-000000000002"


def test_the_org_header_is_read_as_a_canonical_uuid() -> None:
    assert parse_org_id(ORG.upper()) == ORG
    assert parse_org_id(f" {ORG} ") == ORG


@pytest.mark.parametrize(("raw", "message"), [(None, "is required"), ("", "is required"),
                                              ("acme", "must be an organization id (a UUID)")])
def test_a_missing_or_malformed_org_header_names_the_header(raw: str | None, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_org_id(raw)
    assert [(e.path, e.message) for e in caught.value.errors] == [("X-Org-ID", message)]


def test_a_member_with_an_allowed_role_acts_in_that_role() -> None:
    access = decide_access(USER, ORG, AccessFacts("manager", False), {"owner", "manager"})
    assert (access.user_id, access.org_id, access.role) == (USER, ORG, "manager")


def test_a_member_whose_role_is_not_allowed_is_forbidden() -> None:
    with pytest.raises(NotAnOperator):
        decide_access(USER, ORG, AccessFacts("box_office", False), {"owner"})


def test_a_non_member_and_a_missing_organization_are_refused_alike() -> None:
    with pytest.raises(Forbidden):
        decide_access(USER, ORG, AccessFacts(None, False), {"owner"})
    with pytest.raises(Forbidden):
        decide_access(USER, ORG, None, {"owner"})


def test_a_platform_admin_acts_in_any_existing_organization() -> None:
    assert decide_access(USER, ORG, AccessFacts(None, True), {"owner"}).role == "platform_admin"
    assert decide_access(USER, ORG, AccessFacts("owner", True), {"owner"}).role == "owner"
    with pytest.raises(Forbidden):
        decide_access(USER, ORG, None, {"owner"})

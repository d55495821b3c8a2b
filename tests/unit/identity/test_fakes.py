"""The fakes behave like the real adapters where the use cases can tell (the repository contract
itself is checked against both in tests/integration/identity/test_repository_contract.py)."""

from datetime import UTC, datetime

from lml.identity.application.ports import PasswordHasher, SessionRevoker, UnitOfWorkFactory
from lml.identity.application.testing import FakeHasher, InMemoryIdentityStore, RecordingRevoker
from lml.identity.domain.organization import Organization

ORG = Organization(id="0190a5e2-7b9c-7d3e-8f00-000000000001", name="Globe",
                   created_at=datetime(2030, 1, 1, tzinfo=UTC))


def test_the_fakes_satisfy_the_ports() -> None:
    factory: UnitOfWorkFactory = InMemoryIdentityStore()
    hasher: PasswordHasher = FakeHasher()
    revoker: SessionRevoker = RecordingRevoker()
    assert factory and hasher and revoker


async def test_a_unit_of_work_left_without_commit_changes_nothing() -> None:
    store = InMemoryIdentityStore()
    async with store() as tx:
        await tx.organizations.add(ORG)
        await tx.publish(ORG)
    assert store.state.organizations == {} and store.events == []
    async with store() as tx:
        await tx.organizations.add(ORG)
        await tx.commit()
    assert store.state.organizations == {ORG.id: ORG}


async def test_a_unit_of_work_sees_its_own_writes_but_others_see_only_commits() -> None:
    store = InMemoryIdentityStore()
    async with store() as tx, store() as other:
        await tx.organizations.add(ORG)
        assert await tx.organizations.get(ORG.id) == ORG
        assert await other.organizations.get(ORG.id) is None


async def test_the_fake_hasher_verifies_only_the_right_password() -> None:
    hasher = FakeHasher()
    digest = await hasher.hash("correct horse")
    assert await hasher.verify(digest, "correct horse")
    assert not await hasher.verify(digest, "wrong horse")
    assert not hasher.needs_rehash(digest) and FakeHasher(version=2).needs_rehash(digest)

"""`lml seed-demo`: demo data for a development machine, safe to run again and again.

Each context adds its demo data with one call to its own facade (from the process's container),
inside the demo organization and as the operator created first (see `DemoTenant`).
"""

from __future__ import annotations

import os
import uuid

import msgspec

from lml.config import Settings
from lml.container import Container
from lml.identity.facade import IdentityFacade
from lml.platform.domain.errors import InvalidInput

DEMO_ORGANIZATION = "Demo Arts Trust"
DEMO_EMAIL = "demo@lml.dev"
DEV_DEMO_PASSWORD = "demo-password-123"  # noqa: S105 - a development machine's well-known demo login
# Fixed, so that the demo's X-Org-ID is the same on every machine and every run.
DEMO_ORG_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "https://lml.dev/demo/organization"))


class DemoTenant(msgspec.Struct, frozen=True):
    org_id: str
    operator_user_id: str
    operator_email: str


def demo_password(settings: Settings) -> str:
    password = os.environ.get("LML_DEMO_PASSWORD", "")
    if password:
        return password
    if settings.is_production:
        raise SystemExit("lml seed-demo: LML_DEMO_PASSWORD must be set to seed demo data in production")
    return DEV_DEMO_PASSWORD


async def seed_demo(container: Container) -> None:
    password = demo_password(container.settings)
    try:
        tenant = await _seed_identity(container.identity_facade, password)
    except InvalidInput as exc:
        problems = "; ".join(f"{e.path.lstrip('/')} {e.message}" for e in exc.errors)
        raise SystemExit(f"lml seed-demo: {problems}") from None
    demo_venues = await container.venues_facade.seed_demo_venues(tenant.org_id)
    events = await container.catalog_facade.seed_demo_catalog(
        org_id=tenant.org_id, user_id=tenant.operator_user_id, venues=demo_venues)
    print(f"demo organization: {DEMO_ORGANIZATION} (X-Org-ID: {tenant.org_id})")
    print(f"demo operator (owner): {tenant.operator_email} / {password}")
    for venue in demo_venues:
        print(f"demo venue: {venue.name} ({venue.seat_count} seats, {venue.zone_capacity} standing)")
    for event in events:
        print(f"demo event: {event.title} at {event.venue_name}, shows {', '.join(event.show_ids)}")


async def _seed_identity(identity: IdentityFacade, password: str) -> DemoTenant:
    org_id = await identity.create_organization(DEMO_ORGANIZATION, org_id=DEMO_ORG_ID)
    await identity.ensure_user(DEMO_EMAIL, password, "Demo Operator")
    user_id = await identity.add_member(org_id, DEMO_EMAIL, "owner")
    return DemoTenant(org_id=org_id, operator_user_id=user_id, operator_email=DEMO_EMAIL)

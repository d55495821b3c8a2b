"""Migration 0011 counts the orders placed before it: each buyer's reserved and sold places per show,
keyed exactly as `limit_key` keys them."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import psycopg

from lml.platform import migrations
from lml.platform.domain.buyer_limit import limit_key

BUYER_PLACES = "0011_seating_buyer_places.sql"


def test_the_orders_placed_before_count_for_their_buyers(fresh_dsn: str, tmp_path: Path) -> None:
    before = tmp_path / "migrations"
    before.mkdir()
    for migration in sorted(migrations.DEFAULT_DIR.glob("*.sql")):
        if migration.name < BUYER_PLACES:
            shutil.copy(migration, before)
    migrations.migrate(fresh_dsn, before, report=lambda _: None)

    show, org = str(uuid.uuid4()), str(uuid.uuid4())
    orders = [  # kind, subject, email, [(place, is zone, quantity, status)]
        ("user", "u1", "ann@example.com", [("s1", False, 1, "reserved"), ("s2", False, 1, "reserved")]),
        ("guest", "g1", "ada@example.com", [("s3", False, 1, "sold"), ("floor", True, 3, "sold")]),
        ("guest", "g2", "ada@example.com", [("s4", False, 1, "released")]),
        ("user", "u1", "ann@example.com", [("floor", True, 2, "returned")]),
    ]
    with psycopg.connect(fresh_dsn) as conn:
        conn.execute("INSERT INTO seating.show_inventories VALUES (%s, %s, 10, 1)", (show, org))
        for number, (kind, subject, email, places) in enumerate(orders):
            order_id = str(uuid.uuid4())
            conn.execute(
                "INSERT INTO ordering.orders (order_id, organization_id, show_id, hold_id, buyer_kind, buyer_subject,"
                " buyer_email, status, currency, total, expires_at, show_starts_at, created_at, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, 'paid', 'USD', 100, now(), now(), now(), now())",
                (order_id, org, show, f"hold-{number}", kind, subject, email))
            for place, is_zone, quantity, status in places:
                conn.execute(
                    "INSERT INTO seating.order_places (show_id, order_id, place, is_zone, quantity, organization_id,"
                    " status) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (show, order_id, place, is_zone, quantity, org, status))

    migrations.migrate(fresh_dsn, report=lambda _: None)

    ann, ada = limit_key("user", "u1", "ann@example.com"), limit_key("guest", "g1", "ada@example.com")
    with psycopg.connect(fresh_dsn) as conn:
        counted = conn.execute("SELECT buyer_key, places, version FROM seating.buyer_places WHERE show_id = %s"
                               " ORDER BY buyer_key", (show,)).fetchall()
        linked = conn.execute("SELECT buyer_key, hold_id FROM seating.order_buyers WHERE show_id = %s"
                              " ORDER BY hold_id", (show,)).fetchall()
    assert counted == sorted([(ann, 2, 1), (ada, 4, 1)])
    assert linked == [(ann, "hold-0"), (ada, "hold-1"), (ada, "hold-2"), (ann, "hold-3")]

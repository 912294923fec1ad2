"""An external program run with a time limit (LibreOffice, ocrmypdf): it gets a process
group of its own, so that on timeout the children it started (workers, tesseract, a
second soffice) are killed with it instead of running on unseen."""

from __future__ import annotations

import os
import signal
import subprocess


def run_bounded(
    command: list[str], *, timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``command`` (no shell) and return its exit code, stdout and stderr. After
    ``timeout`` seconds, or on any error while waiting, the whole group is killed; a
    timeout is raised as :class:`subprocess.TimeoutExpired`."""
    process = subprocess.Popen(  # noqa: S603 - the callers pass fixed argument lists
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)

"""The child process of the trial typesetting (``probesatz``): one typst compile of an
administrator's text under a memory limit (RLIMIT_AS) and a CPU limit (RLIMIT_CPU), with
an empty folder as typst's root, so that nothing outside the letter can be read even if
a call slipped past the language's refusal. The parent kills it after a timeout: a
template with ``#for i in range(1000000000) []`` ends as a mistake, not as a web worker
that computes for minutes.

Imports typst alone (no Django), so the child is up in a tenth of a second. Input: a JSON
file named by the last argument (``source``, ``inputs``, ``fonts``); output on stdout:
``{}`` or typst's ``message``, ``hints`` and ``diagnostic``."""

from __future__ import annotations

import json
import resource
import sys
import tempfile
from pathlib import Path

import typst


def main(argv: list[str]) -> int:
    memory, seconds, job_path = int(argv[1]), int(argv[2]), argv[3]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as root:
        compiler = typst.Compiler(
            root=root,
            font_paths=job["fonts"],
            ignore_system_fonts=True,
            package_path=root,
            package_cache_path=root,
        )
        try:
            compiler.compile(
                input=job["source"].encode("utf-8"),
                sys_inputs=job["inputs"],
                pdf_standards=[],
                pdf_tags=False,
            )
        except typst.TypstError as exc:
            found = {
                "message": exc.message,
                "hints": [str(h) for h in exc.hints or []],
                "diagnostic": exc.diagnostic or "",
            }
            sys.stdout.write(json.dumps(found))
            return 0
    sys.stdout.write("{}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

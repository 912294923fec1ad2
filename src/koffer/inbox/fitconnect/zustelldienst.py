"""koffer's client of the FIT-Connect Zustelldienst's subscriber API (the Submission API,
``…/v1``, base URL per destination): list the submissions waiting for a destination,
fetch one with its encrypted metadata and data, fetch each attachment (a JWE,
``application/jose``), read a case's event log and post an event (a signed SET,
``application/jose``). With a token URL it signs in by OAuth client credentials first.

Every failure of the service is a :class:`NichtErreichbar` with a German reason: nothing
is decided on it, the next poll tries again.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

TIMEOUT = 30.0
MAX_BYTES = 200 * 1024 * 1024  # one answer (an attachment's JWE) at most
PAGE = 100


class NichtErreichbar(Exception):  # the service's state, told in German
    """The Zustelldienst did not answer as documented."""


class Zustelldienst:
    def __init__(
        self,
        base_url: str,
        *,
        token_url: str = "",
        client_id: str = "",
        client_secret: str = "",
        timeout: float = TIMEOUT,
    ) -> None:
        for url in (base_url, token_url):
            if url and urllib.parse.urlsplit(url).scheme not in ("https", "http"):
                raise NichtErreichbar(f"Nur http(s)-Adressen werden angesprochen, nicht {url}.")
        self.base_url = base_url.rstrip("/")
        self.token_url, self.client_id, self.client_secret = token_url, client_id, client_secret
        self.timeout = timeout
        self._token = ""

    # --- HTTP --------------------------------------------------------------------------------

    def _sign_in(self) -> str:
        if not self.token_url:
            return ""
        if not self._token:
            body = urllib.parse.urlencode(
                {
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                }
            ).encode()
            answer = self._send(
                urllib.request.Request(  # noqa: S310  # http(s) only, checked in __init__
                    self.token_url,
                    data=body,
                    method="POST",
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
            )
            try:
                self._token = str(json.loads(answer)["access_token"])
            except (ValueError, KeyError, TypeError) as exc:
                raise NichtErreichbar(
                    "Der Anmeldedienst von FIT-Connect gab kein Zugriffstoken."
                ) from exc
        return self._token

    def _send(self, request: urllib.request.Request) -> bytes:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                data: bytes = response.read(MAX_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise NichtErreichbar(
                f"Der Zustelldienst antwortete auf {request.get_method()} "
                f"{urllib.parse.urlsplit(request.full_url).path} mit HTTP {exc.code}."
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise NichtErreichbar(
                f"Der Zustelldienst ist nicht erreichbar ({request.full_url}): {exc}"
            ) from exc
        if len(data) > MAX_BYTES:
            raise NichtErreichbar("Eine Antwort des Zustelldienstes ist größer als 200 MB.")
        return data

    def _call(
        self, method: str, path: str, *, body: bytes | None = None, content_type: str = ""
    ) -> bytes:
        headers = {"Accept": "application/json, application/jose"}
        token = self._sign_in()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if content_type:
            headers["Content-Type"] = content_type
        return self._send(
            urllib.request.Request(  # noqa: S310  # http(s) only, checked in __init__
                self.base_url + path, data=body, method=method, headers=headers
            )
        )

    def _json(self, path: str) -> Any:
        try:
            return json.loads(self._call("GET", path))
        except ValueError as exc:
            raise NichtErreichbar(f"Der Zustelldienst gab auf {path} kein JSON.") from exc

    # --- the subscriber API ----------------------------------------------------------------

    def einreichungen(self, destination_id: str) -> list[dict[str, str]]:
        """Every submission waiting for the destination: ``submissionId``, ``caseId``."""
        found: list[dict[str, str]] = []
        offset = 0
        while True:
            query = urllib.parse.urlencode(
                {"destinationId": destination_id, "offset": offset, "limit": PAGE}
            )
            page = self._json(f"/v1/submissions?{query}")
            if not isinstance(page, dict) or not isinstance(page.get("submissions"), list):
                raise NichtErreichbar("Die Liste der Einreichungen hat nicht die erwartete Form.")
            found += [s for s in page["submissions"] if isinstance(s, dict)]
            offset += len(page["submissions"])
            if not page["submissions"] or offset >= int(page.get("totalCount", offset)):
                return found

    def einreichung(self, submission_id: str) -> dict[str, Any]:
        answer = self._json(f"/v1/submissions/{urllib.parse.quote(submission_id)}")
        if not isinstance(answer, dict):
            raise NichtErreichbar("Die Einreichung hat nicht die erwartete Form.")
        return answer

    def anlage(self, submission_id: str, attachment_id: str) -> str:
        data = self._call(
            "GET",
            f"/v1/submissions/{urllib.parse.quote(submission_id)}"
            f"/attachments/{urllib.parse.quote(attachment_id)}",
        )
        try:
            return data.decode("ascii").strip()
        except UnicodeDecodeError as exc:
            raise NichtErreichbar("Eine Anlage kam nicht als JWE (ASCII).") from exc

    def ereignisse(self, case_id: str) -> list[str]:
        """The case's event log: the SETs posted so far (JWS compact)."""
        answer = self._json(f"/v1/cases/{urllib.parse.quote(case_id)}/events")
        log = answer.get("eventLog") if isinstance(answer, dict) else None
        if not isinstance(log, list):
            raise NichtErreichbar("Das Ereignisprotokoll hat nicht die erwartete Form.")
        return [str(e) for e in log]

    def ereignis_senden(self, case_id: str, token: str) -> None:
        self._call(
            "POST",
            f"/v1/cases/{urllib.parse.quote(case_id)}/events",
            body=token.encode("ascii"),
            content_type="application/jose",
        )

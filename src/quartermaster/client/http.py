"""A small client of a Quartermaster server's API: JSON over HTTP(S) with a bearer token, standard library only.

Every failure is an ``ApiError`` whose message is one readable line: an RFC 9457 problem becomes
``<detail> [<code>]`` (with its field errors), anything else says what went wrong with which request.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

USER_AGENT = "quartermaster-client/1"
MAX_BODY = 16 * 1024 * 1024  # no answer of this API is near this; a larger one is not ours


class ApiError(Exception):
    """A request that failed; ``str()`` is one line; ``status`` and ``code`` say why when the server said."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class ApiClient:
    """Requests to one server, authenticated with one API token (``Authorization: Bearer``)."""

    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 30.0) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ApiError(f"'{base_url}' is not an http(s) URL of a Quartermaster server (e.g. http://127.0.0.1:8000)")
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def get(self, path: str) -> Any:
        """GET a JSON resource."""
        return self._json("GET", path)

    def post(self, path: str, body: Any) -> Any:
        """POST a JSON body; the JSON answer."""
        return self._json("POST", path, body)

    def put(self, path: str, body: Any) -> Any:
        """PUT a JSON body; the JSON answer."""
        return self._json("PUT", path, body)

    def upload(self, path: str, data: bytes, content_type: str) -> Any:
        """POST raw bytes (a document) with their media type; the JSON answer."""
        return self._json("POST", path, raw=(data, content_type))

    def _json(self, method: str, path: str, body: Any = None, *, raw: tuple[bytes, str] | None = None) -> Any:
        data = self.request(method, path, body, raw=raw)
        try:
            return json.loads(data)
        except ValueError:
            raise ApiError(f"{method} {path}: the server's answer is not JSON") from None

    def request(self, method: str, path: str, body: Any = None, *, raw: tuple[bytes, str] | None = None) -> bytes:
        """Send one request (a JSON ``body``, or ``raw`` bytes and their media type); the response body, or ApiError
        with one readable line."""
        url = self.base_url + path
        headers = {"Accept": "application/json, application/problem+json", "User-Agent": USER_AGENT}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = None
        if body is not None:
            payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json"
        elif raw is not None:
            payload, headers["Content-Type"] = raw
        request = urllib.request.Request(url, data=payload, headers=headers, method=method)  # noqa: S310 - scheme checked
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - scheme checked
                return _read(response, method, path)
        except urllib.error.HTTPError as exc:
            with exc:
                raise _problem(exc.code, exc.headers.get("Content-Type", ""), _read(exc, method, path)) from None
        except urllib.error.URLError as exc:
            raise ApiError(f"cannot reach {self.base_url}: {_reason(exc.reason)}") from None
        except TimeoutError:
            raise ApiError(f"{method} {path}: no answer from {self.base_url} within {self.timeout:g} s") from None
        except OSError as exc:
            raise ApiError(f"{method} {path}: connection to {self.base_url} failed ({exc.strerror or exc})") from None


def _read(response: Any, method: str, path: str) -> bytes:
    data: bytes = response.read(MAX_BODY + 1)
    if len(data) > MAX_BODY:
        raise ApiError(f"{method} {path}: the server's answer is larger than {MAX_BODY} bytes")
    return data


def _reason(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason)


def _problem(status: int, content_type: str, data: bytes) -> ApiError:
    """An error answer as one line: an RFC 9457 problem's detail, code and field errors; else its status."""
    try:
        problem = json.loads(data) if "json" in content_type else None
    except ValueError:
        problem = None
    if not isinstance(problem, dict):
        return ApiError(f"the server answered HTTP {status}", status=status)
    code = problem.get("code") if isinstance(problem.get("code"), str) else None
    detail = problem.get("detail") or problem.get("title") or f"HTTP {status}"
    message = " ".join(str(detail).split())  # one line whatever the server put in it
    if code:
        message += f" [{code}]"
    errors = problem.get("errors")
    if isinstance(errors, list) and errors:
        fields = [f"{e.get('field')}: {e.get('message')}" for e in errors if isinstance(e, dict)]
        if fields:
            message += " (" + "; ".join(" ".join(f.split()) for f in fields) + ")"
    return ApiError(message, status=status, code=code)

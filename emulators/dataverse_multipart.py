"""The multipart/mixed text of `$batch` (OData 4.0 §11.7, as Dataverse's docs show it): parse and write.

A batch body is parts separated by `--<boundary>` lines and closed by `--<boundary>--`; each part has
MIME headers, a blank line and its content: an `application/http` request (request line, headers,
blank line, body) or a nested `multipart/mixed` change set. Lines may end in CRLF or LF.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from werkzeug.http import HTTP_STATUS_CODES

from .dataverse_errors import BAD_PAYLOAD, DataverseError

BOUNDARY = re.compile(r'boundary\s*=\s*"?([^";\s]+)"?', re.IGNORECASE)
BLANK_LINE = re.compile(rb"\r?\n\r?\n")


@dataclass
class Operation:
    """One request of a batch (an `application/http` part)."""
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)     # lower-case names
    body: bytes = b""
    content_id: str | None = None


def bad(message: str) -> DataverseError:
    return DataverseError(message, 400, BAD_PAYLOAD)


def boundary_of(content_type: str) -> str | None:
    if not content_type.lower().startswith("multipart/mixed"):
        return None
    match = BOUNDARY.search(content_type)
    return match[1] if match else None


def split_head(data: bytes) -> tuple[dict[str, str], bytes]:
    """(headers with lower-case names, what follows the first blank line)."""
    if data.startswith((b"\r\n", b"\n")):
        head, rest = b"", data.split(b"\n", 1)[1]
    else:
        match = BLANK_LINE.search(data)
        head, rest = (data[:match.start()], data[match.end():]) if match else (data, b"")
    headers = {}
    for line in head.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers, rest


def split_parts(body: bytes, boundary: str) -> list[tuple[dict[str, str], bytes]]:
    """The parts of a multipart body: [(MIME headers, content)]."""
    pieces = re.split(rb"(?:^|\r?\n)--" + re.escape(boundary.encode()), body)
    parts = []
    for piece in pieces[1:]:
        if piece.startswith(b"--"):
            return parts
        _, _, piece = piece.partition(b"\n")            # the rest of the delimiter line
        parts.append(split_head(piece))
    raise bad(f"The multipart body has no closing '--{boundary}--' delimiter.")


def parse_request(content: bytes, content_id: str | None) -> Operation:
    """An `application/http` part: `METHOD <url> HTTP/1.1`, headers, blank line, body."""
    line, _, rest = content.partition(b"\n")
    words = line.decode("utf-8", "replace").split()
    if len(words) < 3 or not words[-1].startswith("HTTP/"):
        raise bad(f"Bad request line in a batch part: '{line.decode('utf-8', 'replace').strip()}'.")
    headers, body = split_head(rest)
    return Operation(words[0].upper(), " ".join(words[1:-1]), headers, body.strip(), content_id)


def http_part(status: int, headers: list[tuple[str, str]], body: bytes, content_id: str | None) -> bytes:
    """One `application/http` response part."""
    mime = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
    if content_id:
        mime += f"Content-ID: {content_id}\r\n"
    text = (f"{mime}\r\nHTTP/1.1 {status} {HTTP_STATUS_CODES.get(status, '')}\r\n"
            + "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n")
    return text.encode() + body


def multipart(boundary: str, parts: list[bytes]) -> bytes:
    return b"".join(f"--{boundary}\r\n".encode() + part + b"\r\n" for part in parts) + \
        f"--{boundary}--".encode()


def changeset_part(boundary: str, parts: list[bytes]) -> bytes:
    return f"Content-Type: multipart/mixed; boundary={boundary}\r\n\r\n".encode() + multipart(boundary, parts)

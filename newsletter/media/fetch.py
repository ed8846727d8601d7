"""Fetching one image over the network, safely: the only place the image stage makes requests.

Rules, checked on every hop (redirects are followed here, by hand, never by httpx):

- http and https only; at most ``max_redirects`` redirects;
- the host is resolved and EVERY address it resolves to must be public (not loopback,
  private, link-local, metadata, multicast, reserved or shared address space); the request
  then goes to the checked address (Host header and TLS server name stay the URL's), so a
  second DNS answer cannot swap in another address;
- one deadline for the whole fetch (all hops, connect and body), and a cap on the bytes read
  (the Content-Length is checked first, then the bytes as they arrive).

``allow_hosts`` lists ``host:port`` pairs exempt from the address rule: a test's own local
server. Only that exact pair is exempt; a redirect to another port or host is still checked.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

_REDIRECTS = {301, 302, 303, 307, 308}
_DEFAULT_PORTS = {"http": 80, "https": 443}
_USER_AGENT = "newsletter-images/1"

Resolver = Callable[[str, int], list[str]]


class FetchError(Exception):
    """An image could not be fetched; the message says why in a few words."""


@dataclass(frozen=True)
class Fetched:
    """The body of a fetched image and where it finally came from."""

    url: str
    final_url: str
    content_type: str
    data: bytes
    hops: int


@dataclass(frozen=True)
class FetchLimits:
    """What one fetch may cost."""

    timeout_seconds: float = 10.0
    max_bytes: int = 15 * 1024 * 1024
    max_redirects: int = 5


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6), as strings."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot resolve {host}: {exc}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public(address: str) -> bool:
    """Whether ``address`` is a public unicast address (loopback, private, link-local,
    metadata, shared, reserved and multicast addresses are not)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _checked_target(
    url: str, *, allow_hosts: Collection[str], resolver: Resolver
) -> tuple[str, str, str]:
    """(URL to connect to, Host header, TLS server name) for ``url``, or :class:`FetchError`."""
    try:
        parts = urlsplit(url)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)
    except ValueError:
        raise FetchError(f"not a valid URL: {url[:120]}") from None
    if parts.scheme not in _DEFAULT_PORTS:
        raise FetchError(f"only http and https are fetched, not {parts.scheme or 'no scheme'}")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise FetchError("the URL has no host")
    netloc_host = f"[{host}]" if ":" in host else host
    host_header = netloc_host if parts.port is None else f"{netloc_host}:{parts.port}"
    if f"{host}:{port}" in allow_hosts or f"{netloc_host}:{port}" in allow_hosts:
        return url, host_header, host
    addresses = resolver(host, port)
    if not addresses:
        raise FetchError(f"{host} has no address")
    refused = [a for a in addresses if not is_public(a)]
    if refused:
        if refused[0] == host:
            raise FetchError(f"refused: {host} is not a public address")
        raise FetchError(f"refused: {host} resolves to {refused[0]}, not a public address")
    address = addresses[0]
    pinned = f"[{address}]" if ":" in address else address
    target = urlunsplit((parts.scheme, f"{pinned}:{port}", parts.path or "/", parts.query, ""))
    return target, host_header, host


def fetch_image(
    url: str,
    *,
    client: httpx.Client,
    limits: FetchLimits,
    allow_hosts: Collection[str] = (),
    resolver: Resolver = resolve,
) -> Fetched:
    """GET ``url`` under the rules above; :class:`FetchError` with the reason otherwise.

    ``client`` must not follow redirects itself (``follow_redirects=False``, the default).
    """
    deadline = time.monotonic() + limits.timeout_seconds
    current = url
    for hop in range(limits.max_redirects + 1):
        try:
            target, host_header, server_name = _checked_target(
                current, allow_hosts=allow_hosts, resolver=resolver
            )
        except FetchError as exc:
            if hop == 0:
                raise
            raise FetchError(f"redirect {hop} to {current[:120]}: {exc}") from None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"timed out after {limits.timeout_seconds:g} s")
        request = client.build_request(
            "GET",
            target,
            headers={"Host": host_header, "User-Agent": _USER_AGENT, "Accept": "image/*"},
            timeout=httpx.Timeout(remaining),
            extensions={"sni_hostname": server_name},
        )
        try:
            response = client.send(request, stream=True)
        except httpx.TimeoutException:
            raise FetchError(f"timed out after {limits.timeout_seconds:g} s") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"request failed: {type(exc).__name__}: {exc}") from None
        try:
            if response.status_code in _REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    raise FetchError(f"HTTP {response.status_code} without a Location")
                current = urljoin(current, location)
                continue
            if response.status_code != 200:
                raise FetchError(f"HTTP {response.status_code}")
            data = _read_capped(response, limits=limits, deadline=deadline)
            return Fetched(
                url=url,
                final_url=current,
                content_type=response.headers.get("content-type", ""),
                data=data,
                hops=hop,
            )
        finally:
            response.close()
    raise FetchError(f"more than {limits.max_redirects} redirects")


def _read_capped(response: httpx.Response, *, limits: FetchLimits, deadline: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise FetchError(f"too large: {int(declared)} bytes (at most {limits.max_bytes})")
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limits.max_bytes:
                raise FetchError(f"too large: over {limits.max_bytes} bytes")
            if time.monotonic() > deadline:
                raise FetchError(f"timed out after {limits.timeout_seconds:g} s")
            chunks.append(chunk)
    except httpx.TimeoutException:
        raise FetchError(f"timed out after {limits.timeout_seconds:g} s") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"reading failed: {type(exc).__name__}: {exc}") from None
    return b"".join(chunks)

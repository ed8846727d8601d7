"""Fetching alone: the address rules, schemes, size cap and redirect limit."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from newsletter.media.fetch import FetchError, FetchLimits, fetch_image, is_public
from newsletter.media.stage import make_client
from tests.support.image_server import IMAGES, ImageServer


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client() as http:
        yield http


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # AWS, GCP, Azure metadata
        ("100.100.100.200", False),  # Alibaba Cloud metadata (shared address space)
        ("fd00:ec2::254", False),  # AWS metadata over IPv6
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("fe80::1%eth0", False),
        ("0.0.0.0", False),  # noqa: S104 (an address checked, not bound)
        ("224.0.0.1", False),
    ],
)
def test_only_public_unicast_addresses(address: str, public: bool) -> None:
    assert is_public(address) is public


def test_every_resolved_address_must_be_public(client: httpx.Client) -> None:
    def resolver(host: str, port: int) -> list[str]:
        return ["93.184.215.14", "10.0.0.7"]

    with pytest.raises(FetchError, match=r"^refused: img\.example\.org resolves to 10\.0\.0\.7"):
        fetch_image(
            "https://img.example.org/a.png", client=client, limits=FetchLimits(), resolver=resolver
        )


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/a.png", "data:image/png;base64,AAAA"]
)
def test_other_schemes_are_refused(url: str, client: httpx.Client) -> None:
    with pytest.raises(FetchError, match="^only http and https are fetched"):
        fetch_image(url, client=client, limits=FetchLimits())


def test_size_cap_and_redirect_limit(client: httpx.Client, image_server: ImageServer) -> None:
    allow = [image_server.hostport]
    small = FetchLimits(max_bytes=1000)
    size = (IMAGES / "photo.jpg").stat().st_size
    with pytest.raises(FetchError, match=rf"^too large: {size} bytes \(at most 1000\)$"):
        fetch_image(f"{image_server.url}/photo.jpg", client=client, limits=small, allow_hosts=allow)
    image_server.redirect_to["/loop.png"] = "/loop.png"
    with pytest.raises(FetchError, match=r"^more than 2 redirects$"):
        fetch_image(
            f"{image_server.url}/loop.png",
            client=client,
            limits=FetchLimits(max_redirects=2),
            allow_hosts=allow,
        )
    assert image_server.hits["/loop.png"] == 3
    fetched = fetch_image(
        f"{image_server.url}/logo.png", client=client, limits=FetchLimits(), allow_hosts=allow
    )
    assert fetched.data == (IMAGES / "logo.png").read_bytes()
    assert fetched.content_type == "image/png"

"""The digest as parsed from any format: the JSON import schema is exactly this model."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _check_url(url: str) -> str:
    url = url.strip()
    if (
        not url.lower().startswith(("http://", "https://"))
        or len(url) < 10
        or any(c.isspace() for c in url)
    ):
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    return url


class Link(BaseModel):
    """A link of an item: its text and an absolute http(s) URL."""

    model_config = ConfigDict(extra="forbid")
    text: str = ""
    url: str

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return _check_url(v)


class Image(BaseModel):
    """An image of an item: absolute http(s) URL and alt text (may be empty in the source)."""

    model_config = ConfigDict(extra="forbid")
    url: str
    alt: str = ""

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return _check_url(v)


class DigestItem(BaseModel):
    """One news item. ``body`` is Markdown (inline bold and links kept), stored as text."""

    model_config = ConfigDict(extra="forbid")
    title: NonEmpty
    body: NonEmpty
    links: list[Link] = Field(default_factory=list)
    images: list[Image] = Field(default_factory=list)
    source: str = ""


class Section(BaseModel):
    """A titled section with at least one item."""

    model_config = ConfigDict(extra="forbid")
    name: NonEmpty
    items: list[DigestItem] = Field(min_length=1)


class Digest(BaseModel):
    """A day's digest."""

    model_config = ConfigDict(extra="forbid")
    date: dt.date
    title: NonEmpty
    #: The summary, one sentence per line.
    summary: str = ""
    sections: list[Section] = Field(min_length=1)

    @property
    def item_count(self) -> int:
        """Number of items over all sections."""
        return sum(len(s.items) for s in self.sections)

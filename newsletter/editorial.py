"""The editor's choices over a draft, and the issue they make of a digest.

An issue is its digest's sections seen through the editor's choices (``Issue.edits``): a
subject and a preheader of their own, a note under the headline, parts dropped, parts
moved, notice and sponsor blocks added. The choices name the parts by keys that survive a
re-import that fixes a typo (a section by its heading, an item by its source number, else
its title; a text block by its place among the section's text blocks), so composing again
from new items keeps every choice it can and says, one line each, which it could not keep.

People name the parts by the numbers of the outline (:func:`outline`): ``3`` is the third
section, ``3.2`` its second block (an item or a text block), ``B1`` the first added block.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from newsletter.errors import InputError
from newsletter.text import breaks_lines, plain_line

BLOCK_KINDS = ("notice", "sponsor")
#: The preheader's length at most (inbox previews show about this much).
PREHEADER_MAX = 110
NOTE_MAX = 2000
BLOCK_MAX = 4000


def _norm(text: str) -> str:
    return plain_line(text).lower()[:120]


@dataclass
class Part:
    """One block of a section in the outline: an item, a text block or an added block."""

    key: str
    kind: str  # "item" | "text"
    label: str
    raw: dict[str, Any]
    dropped: bool = False


@dataclass
class OutlineSection:
    """One section of the outline, with its blocks, in the order the issue shows them."""

    key: str
    heading: str
    depth: int
    raw: dict[str, Any]
    parts: list[Part] = field(default_factory=list)
    dropped: bool = False
    #: The added block's id (``B1``) when the section is an editor's notice or sponsor block.
    block_id: str = ""


@dataclass
class Outline:
    """The issue as the editor sees it: every section and block, dropped ones included."""

    sections: list[OutlineSection]
    #: One line per choice that could not be kept (its part is no longer in the digest).
    lost: list[str] = field(default_factory=list)

    def numbered(self) -> list[tuple[str, OutlineSection | Part]]:
        """``("3", section)`` and ``("3.2", part)`` in reading order (added blocks ``B1``)."""
        out: list[tuple[str, OutlineSection | Part]] = []
        n = 0
        for section in self.sections:
            if section.block_id:
                out.append((section.block_id, section))
                continue
            n += 1
            out.append((str(n), section))
            out.extend((f"{n}.{m}", part) for m, part in enumerate(section.parts, 1))
        return out

    def find(self, number: str) -> OutlineSection | Part:
        """The section or part of outline number ``number``; :class:`InputError` if none."""
        wanted = number.strip().upper()
        for label, thing in self.numbered():
            if label.upper() == wanted:
                return thing
        raise InputError(f"no part {number!r} in the issue: `issue show` numbers them")

    def kept(self) -> list[dict[str, Any]]:
        """The sections the issue shows: dropped parts left out, added blocks in place."""
        out = []
        for section in self.sections:
            if section.dropped:
                continue
            if section.block_id:
                out.append(section.raw)
                continue
            raw = dict(section.raw)
            raw["blocks"] = [p.raw for p in section.parts if not p.dropped]
            if raw["blocks"] or not section.parts:
                out.append(raw)
        return out


def _keys(sections: Sequence[Mapping[str, Any]]) -> list[OutlineSection]:
    seen: dict[str, int] = {}
    out = []
    for raw in sections:
        heading = str(raw.get("heading", ""))
        base = "s:" + _norm(heading)
        seen[base] = seen.get(base, 0) + 1
        key = base if seen[base] == 1 else f"{base}#{seen[base]}"
        section = OutlineSection(key, heading, int(raw.get("depth") or 0), dict(raw))
        texts = 0
        titles: dict[str, int] = {}
        for block in raw.get("blocks") or []:
            if block.get("kind") == "item":
                number = block.get("number")
                title = str(block.get("title", ""))
                if isinstance(number, int):
                    ident = f"n{number}"
                else:
                    ident = "t:" + _norm(title)
                    titles[ident] = titles.get(ident, 0) + 1
                    if titles[ident] > 1:
                        ident += f"#{titles[ident]}"
                section.parts.append(Part(f"{key}/{ident}", "item", title, block))
            else:
                texts += 1
                first = str(block.get("markdown", "")).strip().splitlines()
                label = plain_line(first[0])[:60] if first else ""
                section.parts.append(Part(f"{key}/x{texts}", "text", label, block))
        out.append(section)
    return out


def _block_section(block: Mapping[str, Any]) -> OutlineSection:
    kind = str(block.get("kind", "notice"))
    title = str(block.get("title", ""))
    raw = {
        "heading": title,
        "depth": 0,
        "url": None,
        "added": kind,
        "blocks": [{"kind": "text", "markdown": str(block.get("markdown", "")), "images": []}],
    }
    section = OutlineSection(f"b:{block.get('id')}", title, 0, raw, block_id=f"B{block.get('id')}")
    section.parts = []  # an added block is one whole: dropped or moved as its section
    return section


def _find_section(sections: list[OutlineSection], key: str) -> int | None:
    return next((i for i, s in enumerate(sections) if s.key == key), None)


def _find_part(sections: list[OutlineSection], key: str) -> tuple[int, int] | None:
    for i, section in enumerate(sections):
        for j, part in enumerate(section.parts):
            if part.key == key:
                return i, j
    return None


def _apply_move(sections: list[OutlineSection], move: Mapping[str, Any]) -> bool:
    """One move; False when a part it names is gone."""
    key, target, where = str(move.get("key")), str(move.get("target")), move.get("where")
    if key.startswith(("s:", "b:")) and "/" not in key:
        at = _find_section(sections, key)
        to = _find_section(sections, target)
        if at is None or to is None:
            return False
        moving = sections.pop(at)
        to = _find_section(sections, target)
        assert to is not None
        sections.insert(to if where == "before" else to + 1, moving)
        return True
    found = _find_part(sections, key)
    if found is None:
        return False
    if "/" not in target:  # into a section: its last block
        to_section = _find_section(sections, target)
        if to_section is None:
            return False
        i, j = found
        sections[to_section].parts.append(sections[i].parts.pop(j))
        return True
    if _find_part(sections, target) is None:
        return False
    i, j = found
    part = sections[i].parts.pop(j)
    place = _find_part(sections, target)
    assert place is not None
    ti, tj = place
    sections[ti].parts.insert(tj if where == "before" else tj + 1, part)
    return True


def outline(sections: Sequence[Mapping[str, Any]], edits: Mapping[str, Any]) -> Outline:
    """The outline of a digest's ``sections`` seen through ``edits``."""
    result = Outline(_keys(copy.deepcopy(list(sections))))
    for block in edits.get("blocks") or []:
        added = _block_section(block)
        after = block.get("after")
        if after is None:
            result.sections.insert(0, added)
            continue
        at = _find_section(result.sections, str(after))
        if at is None:
            result.lost.append(
                f"could not keep the place of block B{block.get('id')}: its section is gone; "
                "it is at the end"
            )
            result.sections.append(added)
        else:
            result.sections.insert(at + 1, added)
    for move in edits.get("moves") or []:
        if not _apply_move(result.sections, move):
            result.lost.append(
                f"could not keep a move of {move.get('label', move.get('key'))!r}: "
                "it or its target is no longer in the digest"
            )
    for dropped in edits.get("dropped") or []:
        key = str(dropped.get("key"))
        label = str(dropped.get("label", key))
        at = _find_section(result.sections, key)
        if at is not None:
            depth = result.sections[at].depth
            result.sections[at].dropped = True
            # A dropped section takes its sub-sections with it.
            for following in result.sections[at + 1 :]:
                if following.depth <= depth or following.block_id:
                    break
                following.dropped = True
            continue
        found = _find_part(result.sections, key)
        if found is None:
            result.lost.append(f"could not keep dropping {label!r}: it is no longer in the digest")
            continue
        i, j = found
        result.sections[i].parts[j].dropped = True
    return result


# --- changing the choices ---------------------------------------------------------------------


def _key_and_label(thing: OutlineSection | Part) -> tuple[str, str]:
    if isinstance(thing, OutlineSection):
        return thing.key, thing.heading or thing.block_id
    return thing.key, thing.label


def drop(edits: dict[str, Any], view: Outline, number: str) -> str:
    """Drop the part ``number``; returns what was dropped, for people."""
    thing = view.find(number)
    if isinstance(thing, OutlineSection) and thing.block_id:
        raise InputError(f"{number} is an added block: remove it with --remove-block")
    key, label = _key_and_label(thing)
    dropped = [d for d in edits.get("dropped") or [] if d.get("key") != key]
    edits["dropped"] = [*dropped, {"key": key, "label": label}]
    return label


def restore(edits: dict[str, Any], view: Outline, number: str) -> str:
    """Restore the dropped part ``number``; :class:`InputError` when it is not dropped."""
    key, label = _key_and_label(view.find(number))
    before = edits.get("dropped") or []
    after = [d for d in before if d.get("key") != key]
    if len(after) == len(before):
        raise InputError(f"{number} ({label!r}) is not dropped")
    edits["dropped"] = after
    return label


def move(edits: dict[str, Any], view: Outline, number: str, *, target: str, where: str) -> str:
    """Move part ``number`` ``where`` ("before" or "after") part ``target``: a section (or an
    added block) beside another section, an item or text block beside another block, or to
    the end of a section (``target`` a section number, ``where`` "after")."""
    thing, other = view.find(number), view.find(target)
    if isinstance(thing, OutlineSection) and not isinstance(other, OutlineSection):
        raise InputError(f"{number} is a section: move it before or after another section")
    key, label = _key_and_label(thing)
    target_key, _ = _key_and_label(other)
    if isinstance(thing, Part) and isinstance(other, OutlineSection):
        if other.block_id:
            raise InputError(f"{target} is an added block: it holds no items")
        where = "after"
    moves = list(edits.get("moves") or [])
    moves.append({"key": key, "target": target_key, "where": where, "label": label})
    edits["moves"] = moves
    return label


def add_block(
    edits: dict[str, Any], view: Outline, *, kind: str, markdown: str, title: str, at: str
) -> str:
    """Add a notice or sponsor block after section ``at`` (``0``: at the top; ``end``: at
    the end); returns its outline number (``B1``)."""
    if kind not in BLOCK_KINDS:
        raise InputError(f"a block is one of {', '.join(BLOCK_KINDS)}, not {kind!r}")
    text = markdown.strip()
    if not text:
        raise InputError("the block has no text (--text)")
    if len(text) > BLOCK_MAX:
        raise InputError(f"the block is longer than {BLOCK_MAX} characters")
    blocks = list(edits.get("blocks") or [])
    new_id = max((int(b.get("id", 0)) for b in blocks), default=0) + 1
    after: str | None
    if at == "0":
        after = None
    elif at == "end":
        after = view.sections[-1].key if view.sections else None
    else:
        place = view.find(at)
        if not isinstance(place, OutlineSection):
            raise InputError(f"--at {at}: name a section (a block goes between sections)")
        after = place.key
    blocks.append(
        {"id": new_id, "kind": kind, "title": plain_line(title), "markdown": text, "after": after}
    )
    edits["blocks"] = blocks
    return f"B{new_id}"


def remove_block(edits: dict[str, Any], number: str) -> None:
    """Remove the added block ``number`` (``B1``)."""
    wanted = number.strip().upper().removeprefix("B")
    blocks = list(edits.get("blocks") or [])
    kept = [b for b in blocks if str(b.get("id")) != wanted]
    if len(kept) == len(blocks):
        raise InputError(f"no added block {number!r}")
    edits["blocks"] = kept


def set_note(edits: dict[str, Any], note: str) -> None:
    """The editor's note (Markdown, shown under the headline); "" removes it."""
    text = note.strip()
    if len(text) > NOTE_MAX:
        raise InputError(f"the note is longer than {NOTE_MAX} characters")
    if text:
        edits["note"] = text
    else:
        edits.pop("note", None)


def note_of(edits: Mapping[str, Any] | None) -> str:
    """The editor's note ("" when there is none)."""
    return str((edits or {}).get("note", ""))


@dataclass(frozen=True)
class Move:
    """Move outline part ``number`` before or after part ``target``."""

    number: str
    target: str
    where: str = "before"


@dataclass(frozen=True)
class NewBlock:
    """A notice or sponsor block to add after section ``at`` (``0`` top, ``end``)."""

    kind: str
    markdown: str
    title: str = ""
    at: str = "end"


@dataclass(frozen=True)
class IssueChange:
    """What one `issue edit` asks for; None (or empty) leaves a choice as it is. An empty
    subject or preheader goes back to the digest's; an empty note removes it."""

    subject: str | None = None
    preheader: str | None = None
    note: str | None = None
    drop: Sequence[str] = ()
    restore: Sequence[str] = ()
    move: Move | None = None
    add_block: NewBlock | None = None
    remove_block: Sequence[str] = ()

    def apply(self, edits: dict[str, Any], view: Outline) -> list[str]:
        """Change ``edits`` (outline numbers read in ``view``, the issue before this change);
        returns one line per change, for people."""
        done = []
        for name, value in (("subject", self.subject), ("preheader", self.preheader)):
            if value is not None and breaks_lines(value):
                # A line break in a header would inject another header.
                raise InputError(f"the {name} must be one line (it contains a line break)")
        if self.subject is not None:
            subject = plain_line(self.subject)
            if subject:
                edits["subject"] = subject
                done.append(f"subject: {subject}")
            else:
                edits.pop("subject", None)
                done.append("subject: the digest's title")
        if self.preheader is not None:
            preheader = plain_line(self.preheader)[:PREHEADER_MAX]
            if preheader:
                edits["preheader"] = preheader
                done.append(f"preheader: {preheader}")
            else:
                edits.pop("preheader", None)
                done.append("preheader: from the summary")
        if self.note is not None:
            set_note(edits, self.note)
            done.append("note: " + ("set" if self.note.strip() else "removed"))
        done.extend(f"dropped {n}: {drop(edits, view, n)}" for n in self.drop)
        done.extend(f"restored {n}: {restore(edits, view, n)}" for n in self.restore)
        if self.move is not None:
            m = self.move
            label = move(edits, view, m.number, target=m.target, where=m.where)
            done.append(f"moved {m.number} ({label}) {m.where} {m.target}")
        if self.add_block is not None:
            b = self.add_block
            number = add_block(
                edits, view, kind=b.kind, markdown=b.markdown, title=b.title, at=b.at
            )
            done.append(f"added {b.kind} block {number}")
        for number in self.remove_block:
            remove_block(edits, number)
            done.append(f"removed block {number}")
        return done

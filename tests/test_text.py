"""The text rules (newsletter.text): each function does what its name says, and every entry
point (digest import, settings, forms, command-line arguments, CSV, headers) uses its rule."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from newsletter import text
from newsletter.audience.csv_read import FORMULA_START
from newsletter.audience.export import _safe as csv_cell
from newsletter.audience.profile import checked_attributes, checked_name
from newsletter.digest.model import DigestItem, Section
from newsletter.editions import _check_value as edition_value
from newsletter.errors import InputError
from newsletter.message import encode_phrase
from newsletter.render.personalize import display_name
from newsletter.settings import Settings
from tests.support.factories import render_settings

CONTROL_CHARS = [chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]]
LINE_BREAKS = "\r\n\x00\x85\u2028\u2029"
#: Text with every kind of character a hostile source sends, controls and separators often.
hostile = st.text(
    st.one_of(
        st.sampled_from([*CONTROL_CHARS, "\u2028", "\u2029", "\u202e", "\u200b", " ", "\t"]),
        st.characters(codec="utf-8"),
    )
)
#: Words with no markup in them.
words = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=8)


def _is_control(c: str) -> bool:
    return c in CONTROL_CHARS


@given(hostile)
def test_has_controls_and_remove_controls(value: str) -> None:
    assert text.has_controls(value) == any(map(_is_control, value))
    assert text.remove_controls(value) == "".join(c for c in value if not _is_control(c))


@given(hostile)
def test_breaks_lines(value: str) -> None:
    assert text.breaks_lines(value) == any(c in LINE_BREAKS for c in value)


@given(hostile)
def test_clean_text_keeps_lines_and_tabs_only(value: str) -> None:
    cleaned = text.clean_text(value)
    assert not any(_is_control(c) for c in cleaned if c not in "\t\n")
    assert cleaned.count("\n") == value.count("\n") + value.count("\r") - value.count("\r\n")
    assert "".join(c for c in cleaned if not c.isspace()) == "".join(
        c for c in value if not _is_control(c) and not c.isspace()
    )
    assert text.clean_text(cleaned) == cleaned


@given(hostile)
def test_clean_line_is_one_line_of_single_spaces(value: str) -> None:
    line = text.clean_line(value)
    assert not text.has_controls(line)
    assert not text.breaks_lines(line)
    assert line == line.strip()
    assert not re.search(r"\s\s|[^\S ]", line)
    assert text.clean_line(line) == line
    assert line.replace(" ", "") == "".join(
        c for c in value if not _is_control(c) and not c.isspace()
    )


@given(hostile)
def test_for_terminal_shows_every_control_escaped(value: str) -> None:
    shown = text.for_terminal(value)
    assert not any(_is_control(c) or c in "\u2028\u2029\u202e" for c in shown)
    kept = text.for_terminal(value, keep_newlines=True)
    assert kept.count("\n") == value.count("\n")
    assert kept.count("\t") == value.count("\t")


@given(hostile)
def test_for_terminal_json_is_the_same_json(value: str) -> None:
    dumped = json.dumps({"v": value}, ensure_ascii=False)
    shown = text.for_terminal_json(dumped)
    assert json.loads(shown) == {"v": value}
    assert not any(_is_control(c) for c in shown)


@given(st.lists(st.tuples(words, st.sampled_from(["b", "i", "span", "a", "p"]))))
def test_markup_to_text_keeps_the_words_only(parts: list[tuple[str, str]]) -> None:
    html = "".join(f"<{tag}>{word}</{tag}>" for word, tag in parts)
    hidden = "<script>alert(1)</script><style>p{}</style>"
    assert text.markup_to_text(hidden + html) == "".join(word for word, _ in parts)


@given(
    st.lists(
        st.tuples(
            words,
            st.sampled_from(
                ["**{}**", "*{}*", "`{}`", "[{}](https://x.org/a_(b))", "~~{}~~", "<b>{}</b>"]
            ),
        ),
        min_size=1,
    )
)
def test_markdown_to_text_keeps_the_words_only(parts: list[tuple[str, str]]) -> None:
    source = " ".join(form.format(word) for word, form in parts)
    assert text.markdown_to_text(source) == " ".join(word for word, _ in parts)


@given(st.lists(st.sampled_from(["__NEWSLETTER_", "GREETING", "__", "x", "_"])))
def test_scrub_markers_leaves_no_marker(pieces: list[str]) -> None:
    assert not re.search(r"__NEWSLETTER_[A-Z_]+__", text.scrub_markers("".join(pieces)))


# --- the entry points -------------------------------------------------------------------


@given(hostile)
def test_digest_import_cleans_lines_and_texts(value: str) -> None:
    section = Section(heading=value, blocks=[])
    assert section.heading == text.plain_line(value)
    item = DigestItem(title="t", body=value)
    assert item.body == text.clean_text(value)


@given(hostile)
def test_settings_refuse_any_control(value: str) -> None:
    try:
        Settings(_env_file=None, newsletter_name=value)
    except ValidationError:
        assert text.has_controls(value)
    else:
        assert not text.has_controls(value)


@given(hostile)
def test_edition_arguments_refuse_any_control(value: str) -> None:
    try:
        edition_value("name", value)
    except InputError:
        assert text.has_controls(value.strip())
    else:
        assert not text.has_controls(value.strip())


@given(hostile)
def test_form_names_are_one_line(value: str) -> None:
    try:
        name = checked_name(value)
    except InputError:
        assert text.breaks_lines(value.replace("\x00", "")) or len(text.clean_line(value)) > 200
    else:
        assert name == text.clean_line(value)


@given(hostile, hostile)
def test_form_attributes_and_csv_cells_are_multi_line_text(key: str, value: str) -> None:
    stored = checked_attributes({key: value})
    if stored:
        ((k, v),) = stored.items()
        assert (k, v) == (text.remove_controls(key).strip(), text.clean_text(value).strip())
    # The cell is the cleaned text, with an apostrophe before what a spreadsheet would run
    # (a value that itself begins with an apostrophe keeps it).
    clean = text.clean_text(value)
    assert csv_cell(value) == (f"'{clean}" if clean.startswith(FORMULA_START) else clean)


@given(hostile)
def test_display_names_and_header_phrases_are_one_line(value: str) -> None:
    assert display_name(value) == text.clean_line(value)[:80].strip()
    if not text.breaks_lines(value):
        assert "\n" not in encode_phrase(value, header="To").replace("\r\n ", "")


def test_render_settings_have_no_controls() -> None:
    # The settings every render test uses pass the same rule as any other.
    assert not text.has_controls(render_settings().newsletter_name)


@pytest.mark.parametrize("raw", ["a\r\nb", "a\rb", "a\nb"])
def test_every_line_end_is_a_newline(raw: str) -> None:
    assert text.clean_text(raw) == "a\nb"

"""The double opt-in email: one button that confirms the subscription."""

from __future__ import annotations

from newsletter.compose import check_subject
from newsletter.errors import InputError
from newsletter.render import markdown
from newsletter.render.context import base_context
from newsletter.render.pipeline import mjml_to_html
from newsletter.render.rendered import RenderedEmail
from newsletter.render.strings import strings_for
from newsletter.render.templates import render_template
from newsletter.settings import Settings


def render_confirmation(settings: Settings, *, confirm_url: str, list_name: str) -> RenderedEmail:
    """The confirmation email for a subscription to ``list_name``, linking to ``confirm_url``.

    It has no placeholders (it goes to one address, once) and no unsubscribe link: nobody is
    subscribed until the link is followed. ``confirm_url`` must be an absolute http(s) URL
    and ``list_name`` one line (:class:`InputError` otherwise).
    """
    url = markdown.safe_web_url(confirm_url)
    if url is None:
        raise InputError(f"the confirm URL is not an absolute http(s) URL: {confirm_url!r}")
    name = markdown.clean_text(list_name).strip()
    if any(c in list_name for c in "\r\n"):
        raise InputError("the list name must be one line")
    strings = strings_for(settings.language)
    subject = check_subject(strings.confirm_subject.format(list_name=name))
    ctx = base_context(settings, subject=subject, preheader=strings.confirm_title)
    ctx.update(
        confirm_url=url,
        list_name=name,
        confirm_intro=strings.confirm_intro.format(list_name=name),
    )
    html = mjml_to_html(render_template("confirm.mjml.j2", ctx))
    text = render_template("confirm.txt.j2", ctx)
    return RenderedEmail(subject=subject, html=html, text=text)

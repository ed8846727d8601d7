"""From a ledger job to a finished message: token, personalization, MIME. Never re-renders.

The issue is rendered once and stored; per recipient only the markers are substituted
(:func:`newsletter.render.personalize`) and the MIME built around the result.
"""

from __future__ import annotations

import re

from newsletter.audience import ascii_address
from newsletter.feedback.events import DELIVERY_TAG
from newsletter.message import (
    MessageBuilder,
    QuotedPrintableTemplate,
    Recipient,
    deterministic_message_id,
    feedback_id_value,
    list_id_value,
    random_message_id,
)
from newsletter.render import RenderedEmail, personalize
from newsletter.render.personalize import MARKERS, display_name, localize
from newsletter.sending.ledger import Job
from newsletter.settings import Settings
from newsletter.tokens import TokenIssuer, TokenPurpose
from newsletter.transport import OutgoingMessage

_TAG_SAFE = re.compile(r"[^A-Za-z0-9_-]+")
#: Joins the markers in the probe; personalize strips control characters from the values,
#: so it can never appear inside one.
_PROBE_SEPARATOR = "\x1f"


def tag_value(text: str) -> str:
    """``text`` reduced to what SES accepts in a message tag."""
    return _TAG_SAFE.sub("-", text).strip("-")[:256] or "none"


def envelope_address(email: str) -> str:
    """The address as the wire needs it: an internationalized domain in its IDNA form."""
    return email if email.isascii() else ascii_address(email)


def list_message_builder(
    settings: Settings, *, subject: str, list_name: str, campaign: str, issue_date: str
) -> MessageBuilder:
    """The message builder of a mailing to ``list_name``: From, Reply-To, List-Id, the
    one-click unsubscribe headers and ``Feedback-ID`` (``campaign:list:date:sender``)."""
    return MessageBuilder(
        sender=settings.require_sender(),
        subject=subject,
        reply_to=settings.reply_to,
        list_id=list_id_value(list_name=list_name, sender_address=settings.sender_address),
        list_name=settings.newsletter_name,
        unsubscribe_mailto=settings.unsubscribe_mailto,
        feedback_id=feedback_id_value(
            campaign=campaign,
            list_name=list_name,
            issue_date=issue_date,
            sender_address=settings.sender_address,
        ),
    )


class IssueMailer:
    """Builds each recipient's message of one issue for one list."""

    def __init__(
        self,
        settings: Settings,
        *,
        rendered: RenderedEmail,
        issue_id: int,
        issue_date: str,
        list_id: int,
        list_name: str,
        configuration_set: str | None = None,
        declined: tuple[RenderedEmail, str | None] | None = None,
    ) -> None:
        self._issue_id = issue_id
        self._configuration_set = configuration_set
        #: For a tracked send: the untracked rendering and configuration set, for the
        #: subscribers who declined tracking.
        self._declined = declined
        self._list_id = list_id
        self._rendered = rendered
        #: The edition's language (the settings are seen through the issue's edition).
        self._language = settings.language
        self._base = settings.require_base_url()
        # One signer for the whole send: the same tokens as make_token, without re-deriving
        # the key for every recipient.
        self._tokens = TokenIssuer(settings, purpose=TokenPurpose.UNSUBSCRIBE)
        self._preference_tokens = TokenIssuer(settings, purpose=TokenPurpose.PREFERENCES)
        self._builder = list_message_builder(
            settings,
            subject=rendered.subject,
            list_name=list_name,
            campaign="issue",
            issue_date=issue_date,
        )
        self.sender_address = self._builder.sender_address
        self._tags = (("issue", tag_value(issue_date)), ("list", tag_value(list_name)))
        #: (HTML template, probe) per (language, untracked), made on first use: the
        #: rendering carries every language, a message one.
        self._variants: dict[tuple[str, bool], tuple[QuotedPrintableTemplate, RenderedEmail]] = {}

    def _variant(
        self, language: str, *, untracked: bool = False
    ) -> tuple[QuotedPrintableTemplate, RenderedEmail]:
        variant = self._variants.get((language, untracked))
        if variant is None:
            source = self._declined[0] if untracked and self._declined else self._rendered
            copy = localize(source, language=language, fallback=self._language)
            probe = RenderedEmail(
                subject=copy.subject,
                html=_PROBE_SEPARATOR.join(MARKERS),
                text=copy.text,
                language=copy.language,
            )
            variant = (QuotedPrintableTemplate(copy.html, MARKERS), probe)
            self._variants[(language, untracked)] = variant
        return variant

    def unsubscribe_url(self, subscriber_id: int) -> str:
        """The recipient's one-click unsubscribe link (signed token, never the address)."""
        token = self._tokens.make(
            subscriber_id=subscriber_id,
            list_id=self._list_id,
            issue_id=self._issue_id,
        )
        return f"{self._base}/unsubscribe/{token}"

    def preferences_url(self, subscriber_id: int) -> str:
        """The recipient's preference page (signed token: the person and this list)."""
        token = self._preference_tokens.make(subscriber_id=subscriber_id, list_id=self._list_id)
        return f"{self._base}/preferences/{token}"

    def message(self, job: Job) -> OutgoingMessage:
        """The message for ``job``; :class:`InputError` when the address cannot be sent to.

        The recipient's values come from :func:`personalize` itself, applied to the plain
        text and to a probe made of the markers alone; the HTML part is then stitched from
        its fixed parts, encoded once per issue (:class:`QuotedPrintableTemplate`). Decoded,
        it is exactly ``personalize(rendered, ...).html`` (the tests check this).
        """
        url = self.unsubscribe_url(job.subscriber_id)
        # The words around the content are in the edition's language, the content's own:
        # a reader of the English edition reads English throughout, whatever the language
        # of their profile (which their pages follow).
        # A subscriber who declined tracking gets the untracked copy through the untracked
        # configuration set, whatever the list says.
        untracked = self._declined is not None and job.tracking is False
        html, probe_of_language = self._variant(self._language, untracked=untracked)
        probe = personalize(
            probe_of_language,
            unsubscribe_url=url,
            name=job.name,
            preferences_url=self.preferences_url(job.subscriber_id),
        )
        values = dict(zip(MARKERS, probe.html.split(_PROBE_SEPARATOR), strict=True))
        address = envelope_address(job.email)
        raw = self._builder.build(
            # The name as the body shows it: one line, no control characters.
            to=Recipient(address, display_name(job.name)),
            html=html.fill_pieces(values),
            text=probe.text,
            unsubscribe_url=url,
            # The same id for every attempt of this (issue, subscriber): mail clients that
            # de-duplicate by Message-ID show an uncertain re-send once.
            message_id=deterministic_message_id(
                key=f"newsletter:{self._issue_id}:{job.subscriber_id}",
                sender_address=self.sender_address,
            ),
        )
        # The row's own tag: SES events name it, so a row a crash left uncertain is
        # settled by what SES saw rather than guessed.
        tags = (*self._tags, (DELIVERY_TAG, str(job.delivery_id)))
        configuration_set = self._declined[1] if untracked and self._declined else None
        if not untracked:
            configuration_set = self._configuration_set
        return OutgoingMessage(self.sender_address, (address,), raw, tags, configuration_set)


class EditorCopyMailer:
    """Builds the test copies of an issue for editors: the test rendering, a harmless link."""

    def __init__(
        self, settings: Settings, *, rendered: RenderedEmail, list_name: str, issue_date: str = ""
    ) -> None:
        self._rendered = rendered
        self._language = settings.language
        base = settings.require_base_url()
        # A token that verifies for nobody: following it (or one-click POSTing it) changes
        # nothing, and it shows the editor where the real link goes.
        self._url = f"{base}/unsubscribe/test-send"
        self._preferences_url = f"{base}/preferences/test-send"
        self._builder = list_message_builder(
            settings,
            subject=rendered.subject,
            list_name=list_name,
            campaign="test",
            issue_date=issue_date or "none",
        )
        self.sender_address = self._builder.sender_address

    def message(self, address: str, *, name: str = "", language: str = "") -> OutgoingMessage:
        """One test copy to ``address``, in ``language`` (default: the list's)."""
        copy = localize(self._rendered, language=language, fallback=self._language)
        copy = personalize(
            copy, unsubscribe_url=self._url, name=name, preferences_url=self._preferences_url
        )
        to = envelope_address(address)
        raw = self._builder.build(
            to=Recipient(to, display_name(name)),
            html=copy.html,
            text=copy.text,
            unsubscribe_url=self._url,
            message_id=random_message_id(sender_address=self.sender_address),
        )
        return OutgoingMessage(self.sender_address, (to,), raw, (("test", "yes"),))

"""Double opt-in: who is owed a confirmation email, when one is sent again, the name a reader
knows the list by, and building and sending the emails.

The web form (``POST /subscribe``) and ``newsletter subscribers add`` call these functions
and decide nothing themselves, so both send the same email for the same person.
"""

from newsletter.optin.bulk import BulkConfirmations, send_pending_confirmations, unsent_targets
from newsletter.optin.email import (
    ConfirmationsSent,
    confirm_url,
    confirmation_message,
    rehearse_confirmations,
    render_confirmation,
    send_confirmation,
    send_confirmations,
)
from newsletter.optin.owed import ConfirmationTarget, confirmation_targets, is_owed, owed_targets
from newsletter.optin.signup import (
    Added,
    Confirmed,
    add,
    confirm,
    owed_again,
    rehearse_sign_up,
    sign_up,
)
from newsletter.optin.welcome import WelcomeTarget, send_welcome, welcome_owed

__all__ = [
    "Added",
    "BulkConfirmations",
    "ConfirmationTarget",
    "ConfirmationsSent",
    "Confirmed",
    "WelcomeTarget",
    "add",
    "confirm",
    "confirm_url",
    "confirmation_message",
    "confirmation_targets",
    "is_owed",
    "owed_again",
    "owed_targets",
    "rehearse_confirmations",
    "rehearse_sign_up",
    "render_confirmation",
    "send_confirmation",
    "send_confirmations",
    "send_pending_confirmations",
    "send_welcome",
    "sign_up",
    "unsent_targets",
    "welcome_owed",
]

"""The fixed words of the web pages, per language: Chinese first, English second.

The language comes from ``Settings.language`` (``zh-CN`` by default); any language without
its own table gets Chinese, like the emails.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Messages:
    """Every fixed text of the page templates, in one language."""

    unsubscribe_title: str
    unsubscribe_question: str
    unsubscribe_button: str
    unsubscribe_note: str
    unsubscribed_title: str
    unsubscribed_body: str
    resubscribe: str
    subscribe_title: str
    subscribe_intro: str
    email_label: str
    name_label: str
    honeypot_label: str
    subscribe_button: str
    subscribe_invalid: str
    subscribe_sent_title: str
    subscribe_sent_body: str
    confirm_title: str
    confirm_question: str
    confirm_button: str
    confirmed_title: str
    confirmed_body: str
    not_confirmed_title: str
    not_confirmed_body: str
    invalid_title: str
    invalid_body: str
    not_found_title: str
    not_found_body: str
    rate_limited_title: str
    rate_limited_body: str
    archive_title: str
    archive_empty: str
    archive_feed: str
    home: str
    preferences_title: str
    preferences_intro: str
    preferences_lists: str
    status_active: str
    status_pending: str
    status_unsubscribed: str
    preferences_language: str
    language_follow: str
    #: The tracking choice: whether opens and clicks of one's emails may be counted.
    preferences_tracking: str
    tracking_follow: str
    tracking_on: str
    tracking_off: str
    preferences_save: str
    preferences_none: str
    preferences_saved_title: str
    preferences_saved_body: str
    rejoined_note: str
    refused_note: str
    unsubscribe_all: str
    unsubscribe_all_note: str
    unsubscribed_all_title: str
    unsubscribed_all_body: str
    other_lists: str
    manage: str
    resubscribe_button: str
    expired_title: str
    expired_body: str
    resend_button: str
    resent_title: str
    resent_body: str
    subscribe_link: str


ZH = Messages(
    unsubscribe_title="退订",
    unsubscribe_question="确定要让 {email} 退订「{list_name}」吗？",
    unsubscribe_button="确认退订",
    unsubscribe_note="退订后将不再收到这份邮件。",
    unsubscribed_title="已退订",
    unsubscribed_body="您已退订「{list_name}」，之后不会再收到这份邮件。",
    resubscribe="改变主意了？重新订阅",
    subscribe_title="订阅{newsletter}",
    subscribe_intro="每天一封邮件，送上当天的 AI 资讯摘要。我们会先发一封确认邮件。",
    email_label="邮箱地址",
    name_label="称呼（可选）",
    honeypot_label="请不要填写此项",
    subscribe_button="订阅",
    subscribe_invalid="请填写一个有效的邮箱地址。",
    subscribe_sent_title="请查收确认邮件",
    subscribe_sent_body=(
        "如果这个地址可以订阅，我们刚刚给它发了一封确认邮件。请点击邮件中的按钮完成订阅；"
        "没收到的话，请看看垃圾邮件文件夹。"
    ),
    confirm_title="确认订阅",
    confirm_question="确认订阅「{list_name}」？",
    confirm_button="确认订阅",
    confirmed_title="订阅成功",
    confirmed_body="感谢订阅「{list_name}」！下一期将发送到您的邮箱。",
    not_confirmed_title="无法确认",
    not_confirmed_body="这个订阅已无法确认。如需订阅，请重新填写订阅表单。",
    invalid_title="链接无效",
    invalid_body="这个链接无效或已过期。",
    not_found_title="页面不存在",
    not_found_body="没有找到这个页面。",
    rate_limited_title="请求过于频繁",
    rate_limited_body="请稍后再试。",
    archive_title="往期回顾",
    archive_empty="还没有已发送的期刊。",
    archive_feed="RSS 订阅",
    home="返回往期回顾",
    preferences_title="订阅设置",
    preferences_intro="{email} 的订阅",
    preferences_lists="邮件列表",
    status_active="已订阅",
    status_pending="待确认：请点击确认邮件中的按钮",
    status_unsubscribed="未订阅",
    preferences_language="邮件和页面的语言",
    language_follow="与所订阅的邮件相同",
    preferences_tracking="统计邮件的打开和点击",
    tracking_follow="按邮件列表的设置",
    tracking_on="允许",
    tracking_off="不允许",
    preferences_save="保存设置",
    preferences_none="这个地址目前没有订阅任何列表。",
    preferences_saved_title="设置已保存",
    preferences_saved_body="您的订阅设置已保存。",
    rejoined_note="我们给您发了一封确认邮件：点击其中的按钮，即可重新订阅。",
    refused_note="这个地址已停止接收我们的邮件（退信或投诉），无法重新订阅。",
    unsubscribe_all="全部退订",
    unsubscribe_all_note="不再收到我们的任何邮件。",
    unsubscribed_all_title="已全部退订",
    unsubscribed_all_body="您已退订所有列表，之后不会再收到我们的邮件。",
    other_lists="您还订阅了：{lists}",
    manage="管理订阅设置",
    resubscribe_button="重新订阅「{list_name}」",
    expired_title="链接已过期",
    expired_body="确认链接只在有限时间内有效。我们可以给您发一封新的确认邮件。",
    resend_button="给我发一封新的确认邮件",
    resent_title="请查收确认邮件",
    resent_body="如果这个订阅仍在等待确认，我们刚刚发出了一封新的确认邮件。没收到的话，请看看垃圾邮件文件夹。",
    subscribe_link="订阅",
)

EN = Messages(
    unsubscribe_title="Unsubscribe",
    unsubscribe_question="Unsubscribe {email} from {list_name}?",
    unsubscribe_button="Unsubscribe",
    unsubscribe_note="You will no longer receive this newsletter.",
    unsubscribed_title="Unsubscribed",
    unsubscribed_body="You are unsubscribed from {list_name} and will receive no more issues.",
    resubscribe="Changed your mind? Subscribe again",
    subscribe_title="Subscribe to {newsletter}",
    subscribe_intro="One email a day with the day's AI news. We first send you a confirmation.",
    email_label="Email address",
    name_label="Name (optional)",
    honeypot_label="Leave this field empty",
    subscribe_button="Subscribe",
    subscribe_invalid="Please enter a valid email address.",
    subscribe_sent_title="Check your inbox",
    subscribe_sent_body=(
        "If this address can subscribe, we have just sent it a confirmation email. Press its "
        "button to finish; if it does not arrive, look in the spam folder."
    ),
    confirm_title="Confirm your subscription",
    confirm_question="Confirm your subscription to {list_name}?",
    confirm_button="Confirm",
    confirmed_title="Subscribed",
    confirmed_body="Thank you for subscribing to {list_name}! The next issue will reach you.",
    not_confirmed_title="Cannot confirm",
    not_confirmed_body="This subscription can no longer be confirmed. Please subscribe again.",
    invalid_title="Invalid link",
    invalid_body="This link is not valid or has expired.",
    not_found_title="Not found",
    not_found_body="There is no such page.",
    rate_limited_title="Too many requests",
    rate_limited_body="Please try again later.",
    archive_title="Past issues",
    archive_empty="No issue has been sent yet.",
    archive_feed="RSS feed",
    home="Back to past issues",
    preferences_title="Your subscriptions",
    preferences_intro="Subscriptions of {email}",
    preferences_lists="Lists",
    status_active="Subscribed",
    status_pending="Waiting for you: press the button in the confirmation email",
    status_unsubscribed="Not subscribed",
    preferences_language="Language of emails and pages",
    language_follow="The newsletter's own",
    preferences_tracking="Count opens and clicks of my emails",
    tracking_follow="As the list does",
    tracking_on="Yes",
    tracking_off="No",
    preferences_save="Save",
    preferences_none="This address is on no list at the moment.",
    preferences_saved_title="Saved",
    preferences_saved_body="Your preferences are saved.",
    rejoined_note="We sent you a confirmation email: press its button to subscribe again.",
    refused_note=(
        "This address no longer receives our mail (it bounced or reported it as spam), so it "
        "cannot subscribe again."
    ),
    unsubscribe_all="Unsubscribe from all",
    unsubscribe_all_note="Receive no email from us at all.",
    unsubscribed_all_title="Unsubscribed from everything",
    unsubscribed_all_body="You are unsubscribed from every list and will receive no more email.",
    other_lists="You are also subscribed to: {lists}",
    manage="Manage your subscriptions",
    resubscribe_button="Subscribe to {list_name} again",
    expired_title="This link has expired",
    expired_body="Confirmation links work for a limited time. We can send you a new one.",
    resend_button="Send me a new confirmation link",
    resent_title="Check your inbox",
    resent_body=(
        "If this subscription is still waiting for confirmation, a new confirmation email is on "
        "its way. If it does not arrive, look in the spam folder."
    ),
    subscribe_link="Subscribe",
)


#: The choices of the preference page's language menu, by their own names.
LANGUAGE_NAMES = {"zh-CN": "中文", "en": "English"}


def messages_for(language: str) -> Messages:
    """The messages for a language tag such as ``zh-CN`` or ``en``; Chinese when unknown."""
    return EN if language.lower().split("-")[0] == "en" else ZH

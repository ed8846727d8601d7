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
)


def messages_for(language: str) -> Messages:
    """The messages for a language tag such as ``zh-CN`` or ``en``; Chinese when unknown."""
    return EN if language.lower().split("-")[0] == "en" else ZH

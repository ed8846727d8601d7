"""The fixed words of the emails, per language: Chinese first, English second.

The language comes from ``Settings.language``; a language without its own table gets Chinese.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Strings:
    """Every fixed text of the templates, in one language."""

    view_in_browser: str
    summary_title: str
    #: Contains ``{name}``; empty when the language has no greeting that reads well with an
    #: empty name (the name placeholder may be substituted by an empty string).
    greeting: str
    intro: str
    footer_reason: str
    unsubscribe: str
    archive: str
    test_banner: str
    test_banner_detail: str
    confirm_title: str
    confirm_intro: str
    confirm_button: str
    confirm_fallback: str
    confirm_ignore: str
    confirm_subject: str
    image: str
    weekdays: tuple[str, ...]
    months: tuple[str, ...] = ()

    def date_label(self, day: dt.date) -> str:
        """The issue date written out the way readers of the language expect."""
        weekday = self.weekdays[day.weekday()]
        if self.months:
            return f"{weekday}, {day.day} {self.months[day.month - 1]} {day.year}"
        return f"{day.year}年{day.month}月{day.day}日 {weekday}"

    def short_date(self, day: dt.date) -> str:
        """The day and month, for running text."""
        if self.months:
            return f"{day.day} {self.months[day.month - 1]}"
        return f"{day.month}月{day.day}日"


ZH = Strings(
    view_in_browser="网页版",
    summary_title="今日摘要",
    greeting="{name}您好！",
    intro="以下是{date}的{newsletter}，共 {count} 条资讯。",
    footer_reason="您收到这封邮件，是因为您订阅了{newsletter}。",
    unsubscribe="退订",
    archive="往期回顾",
    test_banner="测试邮件",
    test_banner_detail="这是发给编辑的测试版本，正式发送的邮件没有这条提示。",
    confirm_title="请确认订阅",
    confirm_intro="感谢订阅{list_name}！请点击下面的按钮确认您的邮箱地址，确认后才会开始收到邮件。",
    confirm_button="确认订阅",
    confirm_fallback="按钮无法点击？请复制下面的链接到浏览器打开：",
    confirm_ignore="如果您没有订阅，请忽略这封邮件，我们不会再给您发信。",
    confirm_subject="请确认订阅{list_name}",
    image="图片",
    weekdays=("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"),
)

EN = Strings(
    view_in_browser="View in browser",
    summary_title="Today in brief",
    greeting="",
    intro="Here is {newsletter} for {date}: {count} stories.",
    footer_reason="You receive this email because you subscribed to {newsletter}.",
    unsubscribe="Unsubscribe",
    archive="Past issues",
    test_banner="Test send",
    test_banner_detail="This copy is for editors; the real send has no such notice.",
    confirm_title="Please confirm your subscription",
    confirm_intro=(
        "Thank you for subscribing to {list_name}. Please confirm your email address with the "
        "button below; no issue is sent before you do."
    ),
    confirm_button="Confirm subscription",
    confirm_fallback="If the button does not work, open this link in your browser:",
    confirm_ignore="If you did not subscribe, ignore this email and we will not write again.",
    confirm_subject="Confirm your subscription to {list_name}",
    image="Image",
    weekdays=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    months=(
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
)


def strings_for(language: str) -> Strings:
    """The strings for a language tag such as ``zh-CN`` or ``en``; Chinese when unknown."""
    return EN if language.lower().split("-")[0] == "en" else ZH

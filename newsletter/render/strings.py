"""The fixed words of the emails, per language: Chinese first, English second.

An issue's own words (greeting, intro, summary title, footer, link labels) follow the
subscriber's language; a subscriber without one, or with one that has no table here, gets
the list's language (``Settings.language``), and Chinese when that has none either. The
issue is rendered once with every table (see :mod:`newsletter.render.localized`); each
recipient's copy keeps one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Strings:
    """Every fixed text of the templates, in one language."""

    view_in_browser: str
    summary_title: str
    #: The welcome email's subject and title (``{list_name}``).
    welcome_title: str
    #: The heading of an editor's sponsor block, and of a notice without a title.
    sponsor_label: str
    notice_label: str
    #: The summary's title in the plain-text part, with the language's own brackets.
    summary_title_text: str
    #: The greeting of a subscriber with a name; contains ``{name}``.
    greeting_named: str
    #: The greeting of a subscriber without a name.
    greeting_anonymous: str
    #: The line under the greeting on a day of several items: ``{date}``, ``{newsletter}``,
    #: ``{count}``; :meth:`intro_for` picks it or one of the two below.
    intro: str
    #: ... on a day of one item (no plural to get wrong).
    intro_one: str
    #: ... on a day of prose only (the blog layout): no count at all.
    intro_prose: str
    footer_reason: str
    #: The footer of the web archive's copy, which nobody "receives".
    footer_public: str
    unsubscribe: str
    #: The footer link to the reader's preference page (lists, language).
    preferences: str
    subscribe: str
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
    #: Greet by the first word of the name only ("Hi Alice," for "Alice Wang").
    greet_first_name: bool = False

    def greeting(self, name: str) -> str:
        """The greeting of ``name`` (already one line), or the one without a name."""
        name = name.strip()
        if not name:
            return self.greeting_anonymous
        if self.greet_first_name:
            name = name.split()[0]
        return self.greeting_named.format(name=name)

    def intro_for(self, *, day: dt.date, newsletter: str, count: int) -> str:
        """The intro of a day of ``count`` items: no count on a prose day, the singular for
        one item, the count otherwise."""
        template = self.intro_prose if count <= 0 else self.intro_one if count == 1 else self.intro
        return template.format(date=self.short_date(day), newsletter=newsletter, count=count)

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
    welcome_title="欢迎订阅{list_name}",
    sponsor_label="赞助",
    notice_label="通知",
    summary_title_text="【今日摘要】",
    greeting_named="{name}，您好！",
    greeting_anonymous="您好！",
    intro="以下是{date}的{newsletter}，共 {count} 条资讯。",
    intro_one="以下是{date}的{newsletter}，共 1 条资讯。",
    intro_prose="以下是{date}的{newsletter}。",
    footer_reason="您收到这封邮件，是因为您订阅了{newsletter}。",
    footer_public="这是{newsletter}的网页版。喜欢的话，欢迎订阅，每天送到您的邮箱。",
    unsubscribe="退订",
    preferences="订阅设置",
    subscribe="订阅",
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
    welcome_title="Welcome to {list_name}",
    sponsor_label="Sponsored",
    notice_label="Notice",
    summary_title_text="== Today in brief ==",
    greeting_named="Hi {name},",
    greeting_anonymous="Hello,",
    intro="Here is {newsletter} for {date}: {count} stories.",
    intro_one="Here is {newsletter} for {date}: 1 story.",
    intro_prose="Here is {newsletter} for {date}.",
    footer_reason="You receive this email because you subscribed to {newsletter}.",
    footer_public="This is the web edition of {newsletter}. Subscribe to get it by email daily.",
    unsubscribe="Unsubscribe",
    preferences="Preferences",
    subscribe="Subscribe",
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
    greet_first_name=True,
)

#: Every table, by the primary language subtag.
TABLES: dict[str, Strings] = {"zh": ZH, "en": EN}


def language_key(language: str, *, fallback: str = "") -> str:
    """The table key (``zh``, ``en``) for a language tag such as ``zh-CN`` or ``en-GB``.

    A tag without a table falls back to ``fallback`` (the list's language), then to ``zh``.
    """
    for tag in (language, fallback):
        key = tag.strip().lower().replace("_", "-").split("-")[0]
        if key in TABLES:
            return key
    return "zh"


def strings_for(language: str, *, fallback: str = "") -> Strings:
    """The strings for a language tag (see :func:`language_key`); Chinese when unknown."""
    return TABLES[language_key(language, fallback=fallback)]

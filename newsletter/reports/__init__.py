"""Reports an operator reads: how an issue went after SES took it, how a list is doing.

- :mod:`~newsletter.reports.issue`: everything known about one issue's mail;
- :mod:`~newsletter.reports.listing`: a list over a window of days (growth, rates per issue);
- :mod:`~newsletter.reports.html`: either as one self-contained HTML page with charts.

The rates (sent, hard bounces and complaints per issue, and the SES and Gmail thresholds)
are :mod:`newsletter.feedback.rates`: the send guard, below the reports, reads them too.
"""

from newsletter.reports.issue import IssueReport, issue_report
from newsletter.reports.listing import ListReport, list_report

__all__ = ["IssueReport", "ListReport", "issue_report", "list_report"]

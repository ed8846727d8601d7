"""The email templates (Jinja2 + MJML and plain text), installed as package data.

This package holds no code: ``newsletter.render.templates`` reads its files through
:mod:`importlib.resources`, so the templates work from a wheel, an editable install, the
Lambda zip and a source checkout alike.
"""

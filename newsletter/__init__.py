"""The daily digest newsletter: import, compose, render and deliver a day's AI news by email."""

__version__ = "0.1.0"

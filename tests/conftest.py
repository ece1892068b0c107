"""Shared pytest configuration."""

pytest_plugins = ["tests.wiki.fixtures"]

"""Tests of the top-level package."""

import importlib.metadata

import jaxridge


def test_version_is_the_installed_distribution_version():
    assert jaxridge.__version__ == importlib.metadata.version("jaxridge")

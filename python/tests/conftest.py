"""pytest configuration: the package under test is the built one
(build/python_packages, put first on sys.path by scripts/test.sh and ctest
through PYTHONPATH); the seeds below make every random input repeatable."""

import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def examples_dir():
    return os.path.join(ROOT, "examples")

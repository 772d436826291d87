"""e2e_support.py — what the end-to-end test files share (not a test file:
unittest's discovery only collects test*.py).

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import e2e_support
    WADUP = e2e_support.resolve_wadup()
"""
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def resolve_wadup():
    """The wadup binary under test: $WADUP (absolute; relative to the current
    directory if it exists there, else to the repository), by default
    build/wadup."""
    value = os.environ.get("WADUP")
    if not value:
        return REPO_ROOT / "build" / "wadup"
    path = Path(value)
    if path.is_absolute():
        return path
    if (Path.cwd() / path).exists():
        return (Path.cwd() / path).resolve()
    return REPO_ROOT / path

"""A Python module whose main() does nothing: measures wadup's per-content
overhead for Python modules (bench/python.py)."""


def main():
    pass

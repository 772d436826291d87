"""Text statistics and encoding detection."""
import chardet
import humanize
from slugify import slugify

from python_multi_file.models import FileAnalysis

CHUNK = 64 * 1024
DETECT_LIMIT = 1024 * 1024  # chardet sees at most the first MiB


def _detect(data):
    """chardet's answer for data, fed in chunks and stopping early."""
    detector = chardet.UniversalDetector()
    for start in range(0, min(len(data), DETECT_LIMIT), CHUNK):
        detector.feed(data[start:start + CHUNK])
        if detector.done:
            break
    return detector.close()


def analyze(f):
    """FileAnalysis of the binary file f."""
    data = f.read()
    total = len(data)
    lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    try:
        text = data.decode("utf-8")
        words, chars = len(text.split()), len(text)
    except UnicodeDecodeError:
        words, chars = 0, total
    if total == 0:
        encoding, confidence, language = "empty", 0.0, None
    else:
        found = _detect(data)
        encoding, confidence, language = found.get("encoding"), found.get("confidence"), found.get("language")
    return FileAnalysis(
        total_bytes=total,
        line_count=lines,
        word_count=words,
        char_count=chars,
        human_size=humanize.naturalsize(total, binary=True),
        encoding=encoding,
        encoding_confidence=None if confidence is None else float(confidence),
        encoding_language=language or None,
        encoding_slug=slugify(encoding) if encoding else None,
    )

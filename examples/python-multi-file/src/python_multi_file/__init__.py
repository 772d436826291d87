"""python-multi-file — analyses every content as text: sizes, counts and the
character encoding (chardet), with a human-readable size (humanize) and a
slug of the encoding name (python-slugify).

Table file_analysis, one row per content:
total_bytes, line_count, word_count, char_count (Int64), human_size,
encoding, encoding_language, encoding_slug (String, encoding* null when
chardet has no answer), encoding_confidence (Float64).
"""
import wadup

from python_multi_file.analyzer import analyze
from python_multi_file.models import FileAnalysis

wadup.define_table("file_analysis", FileAnalysis.COLUMNS)


def main():
    with wadup.open_content() as f:
        result = analyze(f)
    wadup.insert_row("file_analysis", result.row())

"""The result of analysing one content."""
from dataclasses import dataclass
from typing import Optional


@dataclass
class FileAnalysis:
    total_bytes: int
    line_count: int
    word_count: int
    char_count: int
    human_size: str
    encoding: Optional[str]
    encoding_confidence: Optional[float]
    encoding_language: Optional[str]
    encoding_slug: Optional[str]

    COLUMNS = [
        ("total_bytes", "Int64"),
        ("line_count", "Int64"),
        ("word_count", "Int64"),
        ("char_count", "Int64"),
        ("human_size", "String"),
        ("encoding", "String"),
        ("encoding_confidence", "Float64"),
        ("encoding_language", "String"),
        ("encoding_slug", "String"),
    ]

    def row(self):
        return [getattr(self, name) for name, _ in self.COLUMNS]

"""Parsing speed of the document importer on the sample regulation and on a large
synthetic one (Markdown, plain text, Word with automatic numbering, PDF).

    python bench/document_import.py --chapters 20 --articles 20 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.services.document_files import parse_document_bytes  # noqa: E402
from tests.document_corpus import LAW_LEVELS, Corpus, Lvl, text_pdf  # noqa: E402


def regulation_lines(chapters: int, articles: int) -> list[str]:
    lines = ["QUY CHẾ", "Thực hiện dân chủ trong hoạt động của cơ quan"]
    number = 0
    for chapter in range(1, chapters + 1):
        lines += [f"Chương {chapter}", f"NỘI DUNG SỐ {chapter}"]
        for _ in range(articles):
            number += 1
            lines.append(f"Điều {number}. Quy định thứ {number}")
            for clause in range(1, 4):
                lines.append(f"{clause}. Cán bộ, công chức thực hiện nội dung {clause} của điều {number} theo quy định;")
                lines += [f"{letter}) nội dung điểm {letter} của khoản {clause};" for letter in "abc"]
    return lines


def regulation_docx(chapters: int, articles: int) -> bytes:
    corpus = Corpus()
    corpus.para("QUY CHẾ", bold=True)
    heads = corpus.numbering([Lvl("upperRoman", "Chương %1", suffix="nothing", bold=True)])
    law = corpus.numbering(LAW_LEVELS)
    for chapter in range(1, chapters + 1):
        corpus.para("", num=(heads, 0), bold=True)
        corpus.para(f"NỘI DUNG SỐ {chapter}", bold=True)
        for article in range(articles):
            corpus.para(f"Quy định thứ {article}", num=(law, 0), bold=True)
            for clause in range(3):
                corpus.para(f"Cán bộ thực hiện nội dung {clause} theo quy định:", num=(law, 1))
                for _ in range(3):
                    corpus.para("nội dung điểm của khoản;", num=(law, 2))
    return corpus.bytes()


def measure(name: str, data: bytes, repeat: int) -> dict[str, object]:
    timings = []
    sections = 0
    for _ in range(repeat):
        start = time.perf_counter()
        sections = len(parse_document_bytes(data, name).sections)
        timings.append(time.perf_counter() - start)
    return {"file": name, "bytes": len(data), "sections": sections, "best_ms": round(min(timings) * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chapters", type=int, default=20)
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    lines = regulation_lines(args.chapters, args.articles)
    cases: list[tuple[str, Callable[[], bytes]]] = [
        ("quy-che-dan-chu.md", lambda: (ROOT / "content" / "quy-che-dan-chu.md").read_bytes()),
        ("lon.txt", lambda: "\n".join(lines).encode()),
        ("lon.md", lambda: "\n\n".join(lines).encode()),
        ("lon.docx", lambda: regulation_docx(args.chapters, args.articles)),
        ("lon.pdf", lambda: text_pdf([lines[i : i + 45] for i in range(0, len(lines), 45)])),
    ]
    for name, build in cases:
        print(json.dumps(measure(name, build(), args.repeat), ensure_ascii=False))


if __name__ == "__main__":
    main()

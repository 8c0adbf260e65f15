"""The CLI's work on user files, as functions that run in the limited sandbox child
(service.isolated): the `clausecheck` process itself never parses a file, so a hostile one ends as
a clear "too large / too complex" error instead of taking the terminal's machine with it.

Everything returned must pickle; nlp.DocumentError raised here reaches the CLI as a failure with
its code and both messages.
"""
from __future__ import annotations

import os


def _document(path: str, max_bytes: int | None = None):
    from nlp import Limits

    from .names import clean_name
    from .pipeline import DEFAULT_MAX_CHARACTERS, read_checked

    limits = Limits(max_bytes=max_bytes) if max_bytes else Limits()
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size > limits.max_bytes:  # refused before it is read
            from nlp.errors import TooLarge

            mb = limits.max_bytes // (1024 * 1024)
            raise TooLarge(f"文件超过大小上限（{mb} MB）。", f"The file exceeds the size limit ({mb} MB).")
        data = fh.read()
    return read_checked(data, clean_name(os.path.basename(path)) or "document", limits, DEFAULT_MAX_CHARACTERS)


def parse_file(path: str, fmt: str) -> str:
    """`clausecheck parse`: what the reader made of the file, ready to print."""
    import json

    from nlp.describe import describe, describe_text

    doc = _document(path)
    if fmt == "json":
        return json.dumps(describe(doc), ensure_ascii=False, indent=2)
    return describe_text(doc)


def explain_file(path: str, requirement: str, fmt: str) -> str:
    """`clausecheck explain`: the frames and deciding rule lines of one requirement, ready to print."""
    import json

    from clause_library.explain import explain, format_text

    result = explain(_document(path), requirement)
    return json.dumps(result, ensure_ascii=False, indent=2) if fmt == "json" else format_text(result)


def diff_files(old_path: str, new_path: str, profile: str) -> dict:
    """`clausecheck diff`: both reviews, and the warnings when the two look like different contracts.
    A file that cannot be read comes back as {"error": {...}, "file": which}."""
    from nlp import DocumentError

    from .compare import different_contract_warnings
    from .pipeline import review_document

    reviews, texts = [], []
    for which, path in (("old", old_path), ("new", new_path)):
        try:
            doc = _document(path)
        except DocumentError as exc:
            return {"file": which, "error": {"code": exc.code, "message": exc.message_zh,
                                             "message_en": exc.message_en}}
        # the new draft is judged against the profile the old one was judged against
        chosen = reviews[0]["profile"] if reviews and profile == "auto" else profile
        reviews.append(review_document(doc, chosen))
        texts.append(doc.text)
    warnings, _ = different_contract_warnings(reviews[0], reviews[1], texts[0], texts[1])
    return {"old": reviews[0], "new": reviews[1], "warnings": warnings}


def docx_output(path: str, review: dict, redline: bool) -> bytes:
    """`check --format docx`: a .docx draft comes back annotated (comments, and with --redline
    tracked insertions); anything else gets the Word memo. Notes go to stderr, which the child shares
    with the CLI."""
    import sys
    from pathlib import Path

    from . import report

    if Path(path).suffix.lower() == ".docx" and review["document"].get("format") == "docx":
        from .docx_annotate import AnnotateError, annotate_docx

        try:
            return annotate_docx(Path(path).read_bytes(), review, redline=redline)
        except AnnotateError as exc:
            print(f"clausecheck: {exc.message_zh}改为输出审查报告。 / {exc.message_en} "
                  "Writing the review memo instead.", file=sys.stderr)
    elif redline:
        print("clausecheck: --redline 仅适用于 .docx 原稿，已输出审查报告 / --redline needs a .docx draft; "
              "writing the review memo", file=sys.stderr)
    return report.render_docx(review)

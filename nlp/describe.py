"""What the reader made of a file, for `clausecheck parse FILE --format json|text`."""
from __future__ import annotations

from dataclasses import replace

from .model import Document, Section
from .structure import article_at, build_tree, display_label, is_table_row

ROLE_NAMES = {"customer": "用户方", "provider": "服务方", "manager": "平台管理方"}


def _flat(sections: list[Section]) -> list[Section]:
    """Sections in text order without children, whether the document holds them flat or nested."""
    out: list[Section] = []
    for s in sections:
        out.append(replace(s, children=[]))
        out.extend(_flat(s.children))
    return sorted(out, key=lambda s: s.start)


def _node(s: Section, flat: list[Section]) -> dict:
    return {"level": s.level, "label": s.label, "title": s.title, "start": s.start, "end": s.end,
            "page": s.page, "cite": article_at(flat, s.start),
            "children": [_node(c, flat) for c in s.children]}


def describe(doc: Document, count_tokens: bool = True) -> dict:
    """A JSON-ready account of the document; offsets index into `text`."""
    flat = _flat(doc.sections)
    out = {
        "name": doc.name,
        "sha256": doc.sha256,
        "format": doc.format,
        "pages": doc.pages,
        "ocr_pages": list(doc.ocr_pages),
        "characters": len(doc.text),
        "paragraph_count": len(doc.paragraphs),
        "table_rows": sum(is_table_row(p) for p in doc.paragraphs),
        "sentence_count": len(doc.sentences),
        "token_count": None,
        "structure": [_node(s, flat) for s in build_tree(flat)],
        "parties": {role: list(names) for role, names in doc.parties.items()},
        "definitions": dict(doc.definitions),
        "warnings": list(doc.warnings),
        "text": doc.text,
    }
    if count_tokens:
        from .segment import tokens

        out["token_count"] = len(tokens(doc.text))
    return out


def describe_text(doc: Document, count_tokens: bool = True) -> str:
    """A readable Chinese outline: header, parties, definitions, structure with offsets, warnings."""
    d = describe(doc, count_tokens=count_tokens)
    lines = [f"文件：{d['name']}"]
    head = [f"格式：{d['format']}", f"页数：{d['pages'] if d['pages'] is not None else '—'}",
            f"字符数：{d['characters']}", f"段落：{d['paragraph_count']}", f"句子：{d['sentence_count']}"]
    if d["token_count"] is not None:
        head.append(f"词：{d['token_count']}")
    lines.append("　".join(head))
    if d["ocr_pages"]:
        lines.append("经 OCR 识别的页：" + "、".join(map(str, d["ocr_pages"])))

    lines.append("")
    lines.append("当事人：")
    if d["parties"]:
        for role, names in d["parties"].items():
            lines.append(f"  {ROLE_NAMES.get(role, role)}（{role}）：{'、'.join(names)}")
    else:
        lines.append("  （未识别）")

    if d["definitions"]:
        lines.append("")
        lines.append(f"定义（{len(d['definitions'])}）：" + "、".join(d["definitions"]))

    lines.append("")
    lines.append("结构：")
    if not d["structure"]:
        lines.append("  （未识别出章节条款编号）")
    flat = {(s.start, s.label): s for s in _flat(doc.sections)}

    def walk(nodes: list[dict], depth: int) -> None:
        for n in nodes:
            sec = flat[(n["start"], n["label"])]
            page = f" 第{n['page']}页" if n["page"] is not None else ""
            title = f" {n['title']}" if n["title"] and n["title"] != n["label"] else ""
            lab = display_label(sec)
            title = title.lstrip() if lab.endswith("、") else title
            lines.append(f"{'  ' * (depth + 1)}{lab}{title}  [{n['start']}–{n['end']}]{page}")
            walk(n["children"], depth + 1)

    walk(d["structure"], 0)

    if d["warnings"]:
        lines.append("")
        lines.append("提示：")
        lines.extend(f"  - {w}" for w in d["warnings"])
    return "\n".join(lines) + "\n"

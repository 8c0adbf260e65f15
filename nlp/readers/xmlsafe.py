"""Parsing the XML inside .docx and OFD files without letting it cost unbounded memory.

- No DTDs: Office Open XML and OFD never carry one, so a DOCTYPE is refused outright. Entities are
  not resolved and nothing is fetched (no external entities, no network), so neither an entity bomb
  nor an external entity is ever expanded, even before the DOCTYPE is seen.
- Depth stays at libxml2's default limit (huge_tree off): 256 levels, which also bounds the
  recursion of the readers' tree walks.
- Tags are counted before parsing: lxml spends ~120 bytes per tag (an element, or its text node),
  so a few MB of `<w:p/>` can cost gigabytes. The count is shared by all parts one document keeps
  parsed at once.
"""
from __future__ import annotations

from lxml import etree

from ..errors import CorruptDocument, TooComplex

# Tags ('<': start, end and empty tags, comments) across the parts of one document that are parsed
# together: ~500 MB of lxml nodes at the limit. A 1,000-page contract has well under a million; a
# contract converted from PDF with a run per character (~8 tags a character) fits 500,000 characters.
MAX_TAGS = 4_000_000


class XmlBudget:
    def __init__(self, max_tags: int = MAX_TAGS):
        self.left = max_tags
        self.max_tags = max_tags

    def take(self, raw: bytes, name: str) -> None:
        # bytes.count runs at memory speed, long before the parser would allocate anything.
        self.left -= raw.count(b"<")
        if self.left < 0:
            raise TooComplex(f"文档部件 {name} 含有过多XML元素（上限约 {self.max_tags:,} 个标记）。",
                             f"The part {name} holds too many XML elements (limit about {self.max_tags:,} tags).")


def parse(raw: bytes, name: str, budget: XmlBudget | None = None, remove_blank_text: bool = False):
    """The root element of an XML part; CorruptDocument / TooComplex for anything else.
    `remove_blank_text`: drop whitespace between elements, as python-docx parses Word parts."""
    (budget or XmlBudget()).take(raw, name)
    if b"<!DOCTYPE" in raw[:64 * 1024]:  # the prolog; a DOCTYPE hidden later is caught after parsing
        raise _dtd(name)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_blank_text=remove_blank_text)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as e:
        message = str(e)
        if any(k in message for k in ("amplification", "entity reference loop", "Detected an entity")):
            raise TooComplex(f"文档部件 {name} 的XML实体展开过大。",
                             f"The XML entities of part {name} expand too far ({message}).") from None
        if any(k in message for k in ("Excessive depth", "huge")):
            raise TooComplex(f"文档部件 {name} 的XML嵌套过深或过大。",
                             f"The XML of part {name} is nested too deeply or too large ({message}).") from None
        raise CorruptDocument(f"文件已损坏（部件 {name} 不是有效的XML），请重新导出或重新下载。",
                              f"The file is damaged (part {name} is not valid XML: {message}).") from None
    except ValueError as e:  # e.g. a unicode string with an encoding declaration; not from a zip
        raise CorruptDocument(f"文件已损坏（部件 {name} 无法解析）。", f"The file is damaged (part {name}: {e}).") from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise _dtd(name)
    return root


def _dtd(name: str) -> CorruptDocument:
    return CorruptDocument(f"文件部件 {name} 含有DTD声明（Word与OFD文档从不包含），可能是恶意构造的文件，已拒绝读取。",
                           f"The part {name} declares a DTD, which Word and OFD files never do; the file may "
                           "be crafted to attack XML parsers and was refused.")

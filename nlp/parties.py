"""Who is who: the contract's names for the customer, the provider and the platform manager."""
from __future__ import annotations

import re

# Generic role words (requirements.yaml, "Parties"). Contract-specific aliases are added from the
# preamble ("甲方（采购人）：XX市档案馆", "以下简称“用户”").
ROLE_WORDS = {
    "customer": ["甲方", "采购人", "采购方", "用户", "客户", "委托方", "使用单位", "档案部门", "档案馆", "档案局"],
    "provider": ["乙方", "服务商", "服务方", "供应商", "服务提供者", "服务提供方", "云服务商", "云服务提供商",
                 "承建方", "承接方", "受托方", "中标人"],
    "manager": ["丙方", "管理方", "政务云平台管理方", "平台管理方", "运营方", "大数据局", "大数据中心",
                "大数据管理局", "数据局"],
}

_ROLE_LINE = re.compile(
    r"^\s*(?P<role>[甲乙丙丁]方|采购人|采购方|用户|客户|委托方|服务商|服务方|供应商|服务提供者|管理方|受托方|承建方|见证方)"
    r"(?:[（(](?P<alias>[^）)]{1,12})[）)])?\s*[：:]\s*(?P<name>[^\n，,。；（(]{2,40})")
_SHORT = re.compile(r"(?P<name>[\u4e00-\u9fffA-Za-z0-9（）()]{2,40}?)[（(]以下(?:简)?称[“\"'‘「]?(?P<alias>[^”\"'’」）)]{1,10})[”\"'’」]?[）)]")

_BASE_ROLE = {"甲方": "customer", "乙方": "provider", "丙方": "manager"}


def _role_of_phrase(text: str) -> str | None:
    for role, words in ROLE_WORDS.items():
        if any(w in text for w in words if len(w) >= 3):
            return role
    return None


def _role_of(word: str) -> str | None:
    if word in _BASE_ROLE:
        return _BASE_ROLE[word]
    for role, words in ROLE_WORDS.items():
        if word in words:
            return role
    if "档案" in word:
        return "customer"
    return None


def find_parties(text: str) -> dict[str, list[str]]:
    """Roles found in the preamble and signature block, each with the names the contract uses."""
    parties: dict[str, list[str]] = {}

    def add(role: str | None, name: str) -> None:
        name = name.strip(" ：:　")
        if role and name and name not in parties.setdefault(role, []):
            parties[role].append(name)

    head = text[:3000]
    for line in head.splitlines():
        m = _ROLE_LINE.match(line)
        if not m:
            continue
        role_word, alias, name = m.group("role"), m.group("alias"), m.group("name")
        if alias and re.fullmatch(r"盖章|签字|签章|公章|签名|盖章处|签字盖章", alias):
            continue  # the signature block: "甲方（盖章）：" names no one new
        if alias:
            quoted = re.search(r"以下(?:简)?称[“\"'‘「]?([^”\"'’」]{1,10})", alias)
            alias = quoted.group(1) if quoted else alias
        name = re.split(r"\s{2,}|　", name.strip())[0]
        if alias is None:
            # "见证方：XX大数据中心（XX市政务云平台管理方）": the role can follow the name
            tail = re.search(r"[（(]([^）)]{1,24})[）)]", line[m.end("name"):m.end("name") + 30])
            if tail and _role_of_phrase(tail.group(1)):
                alias = tail.group(1)
        # "乙方（政务云平台管理方）": the role word in brackets says what the letter stands for
        role = (alias and (_role_of(alias) or _role_of_phrase(alias))) or _role_of(role_word)
        add(role, role_word)
        if alias:
            add(role, alias)
        add(role, name)
    for m in _SHORT.finditer(head):
        alias, name = m.group("alias"), m.group("name")
        role = _role_of(alias)
        if role is None and alias in _PROVIDER_SELF:
            role = "provider"
        if role is None and _COMPANY.search(name) and not parties.get("provider"):
            # vendor terms: "XX科技有限公司（以下简称“某云”）" introduces the provider itself
            role = "provider"
        if role is None:
            # "XX公司（以下简称“北辰”）": an alias with no role word takes the role of the name
            for r, names in parties.items():
                if any(len(n) >= 4 and name.endswith(n) for n in names):
                    role = r
                    break
        add(role, alias)
    if not parties.get("provider"):
        # "本协议是某云与开发者（以下简称“您”）…订立": the one who offers the terms is the provider
        m = re.search(r"本(?:协议|条款|合同)(?:是|系|由)([\u4e00-\u9fffA-Za-z]{2,12}?)(?:与|和)(?:您|用户|客户|开发者|[\u4e00-\u9fffA-Za-z]{0,12}(?:用户|开发者|客户))", head)
        if m and not _NOT_PARTIES.match(m.group(1)):
            add("provider", m.group(1))
    if not parties.get("provider"):
        for brand in find_brands(text):
            add("provider", brand)
    return parties


_PROVIDER_SELF = {"本公司", "我们", "我方", "本平台", "本网站", "本站", "公司"}
_COMPANY = re.compile(r"(?:公司|集团|有限|科技|Ltd|Inc|Limited)")
_NOT_PARTIES = re.compile(r"^(?:本协议|本合同|本服务|本条款|协议|服务|账号|SLA|API|SDK|CDN|DNS|VPN|HTTP|HTTPS|IP|ID|"
                          r"政务云|私有云|公有云|混合云|行业云|专有云|云平台|电子政务云)$", re.I)
# Words that follow a party acting as the subject of a clause.
_CUE = r"(?=将|有权|应|会|不|可|保留|承诺|已|无|对|仅|负责|提供|没有|保证|同意|可能|亦|也|均|在|为|根据|依据|收到|建议)"
_LATIN_BRAND = re.compile(r"(?<![A-Za-z0-9.{])([A-Z][A-Za-z0-9]{2,20}|\{\{[A-Za-z.]{2,40}\}\})" + _CUE)
_CJK_CLOUD = re.compile(r"([\u4e00-\u9fff]{1,3}云)" + _CUE)
_LOCATION = re.compile(r"^(?:北京|上海|天津|重庆|深圳|广州|杭州|南京|成都|武汉|西安|苏州|厦门|[\u4e00-\u9fff]{2,3}(?:省|市))+")


def find_brands(text: str, min_count: int = 4) -> list[str]:
    """Vendor terms often name the provider by its brand only (某云将…, Acme有权…). A brand is a name
    that keeps coming back as the subject of clauses: a Latin word or template, a word ending in 云,
    or the start of a company name given in the opening lines."""
    counts: dict[str, int] = {}
    for rx in (_LATIN_BRAND, _CJK_CLOUD):
        for m in rx.finditer(text):
            w = m.group(1)
            if not _NOT_PARTIES.match(w):
                counts[w] = counts.get(w, 0) + 1
    for m in re.finditer(r"([\u4e00-\u9fff]{2,20}?)(?:[\u4e00-\u9fff]{0,8})有限公司", text[:3000]):
        core = _LOCATION.sub("", m.group(0))
        for n in (4, 3, 2):
            w = core[:n]
            if len(w) == n and not _NOT_PARTIES.match(w):
                c = len(re.findall(re.escape(w) + _CUE, text))
                if c >= min_count:
                    counts[w] = max(counts.get(w, 0), c)
                    break
    return [w for w, c in sorted(counts.items(), key=lambda kv: -kv[1]) if c >= min_count][:3]


def role_lexicon(parties: dict[str, list[str]]) -> dict[str, str]:
    """Every word that names a party -> its role; the contract's own names win over generic words."""
    lex: dict[str, str] = {}
    for role, words in ROLE_WORDS.items():
        for w in words:
            lex[w] = role
    for role, names in parties.items():
        for n in names:
            lex[n] = role
    return lex

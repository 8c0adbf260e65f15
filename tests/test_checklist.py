"""CheckList-style behaviour tests (Ribeiro et al. 2020, "Beyond Accuracy") for the judging engine.

For each requirement a base clause (the team's own wording) that satisfies it, then perturbations:

- INV  invariance: paraphrases (synonyms, the vendor's voice 我们/您, reordered) keep `satisfied`, and the
       finding shows the clause.
- DIR  directional: a hedge (原则上/尽量/视情况), a negation (不/无义务), a broad exception
       (除为改进服务所必需外), a far override (another article: 前述第X条不适用于乙方认为必要的情形) or the
       duty moved to the customer (甲方应…) never leaves the requirement `satisfied`: the finding is weak or
       conflicting, gives its reasons, and shows the perturbed clause (for a far override: the override).
- MFT  minimum functionality: unrelated uses of the key words (删除 in a recycle bin, 境内外 in a telecom
       licence, 国家秘密 in a banned-content list…) stay `missing`.

Every case asserts the reason and the passage, not only the status.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pytest

from clause_library import review
from nlp.document import assemble
from nlp.model import Block, RawDocument
from test_annotated import _key, shows  # the same evidence matching as the annotated contracts

PRE = "甲方：枫桥市数据管理局\n乙方：云岭信息技术有限公司\n"
VENDOR = "本协议由您（以下简称“用户”）与云岭信息技术有限公司（以下简称“我们”）订立。\n"
OVERRIDE = "第二十条 前述第{n}条不适用于乙方认为必要的情形。"
PROFILE = "party-gov-cloud"
GENERIC_MISSING = "未找到相关约定"
# A DIR case may end `missing` only where that is the reviewer's verdict: the customer policing its own
# staff's access to its own data puts nothing on the provider, and does not cover the provider's act.
MISSING_OK = {"no-unauthorized-use-DIR-duty-on-customer"}


@dataclass(frozen=True)
class Case:
    rid: str
    kind: str          # INV | DIR | MFT
    name: str
    text: str          # the contract body (after the preamble)
    clause: str = ""   # the passage the finding must show (INV, DIR)
    pre: str = PRE

    @property
    def id(self) -> str:
        return f"{self.rid}-{self.kind}-{self.name}"


@lru_cache(maxsize=None)
def judge(pre: str, text: str, rid: str) -> dict:
    lines = (pre + text).split("\n")
    doc = assemble(RawDocument("txt", [Block(x) for x in lines if x.strip()]), "checklist.txt", "0" * 64)
    return next(f for f in review(doc, PROFILE)["findings"] if f["requirement"] == rid)


def suite(rid: str, base: str, *, n: int, inv: dict[str, str] | None = None, vendor: str = "",
          dirs: dict[str, str] | None = None, mft: dict[str, str] | None = None) -> list[Case]:
    """Cases for one requirement. `base` is one clause; the far override puts it in article `n` and
    adds an article that takes it back."""
    cases = [Case(rid, "INV", "base", base, base)]
    for name, text in (inv or {}).items():
        cases.append(Case(rid, "INV", name, text, text))
    if vendor:
        cases.append(Case(rid, "INV", "vendor-voice", vendor, vendor, VENDOR))
    for name, text in (dirs or {}).items():
        cases.append(Case(rid, "DIR", name, text, text))
    numbered = f"第{_cn(n)}条 {base}"
    override = OVERRIDE.format(n=_cn(n))
    cases.append(Case(rid, "DIR", "far-override", f"{numbered}\n第十五条 双方应按季度结算服务费。\n{override}",
                      override))
    for name, text in (mft or {}).items():
        cases.append(Case(rid, "MFT", name, text))
    return cases


def _cn(n: int) -> str:
    return "零一二三四五六七八九十"[n] if n <= 10 else f"十{'零一二三四五六七八九'[n - 10]}"


CASES: list[Case] = [
    *suite(
        "termination-deletion", n=6,
        base="本合同终止之日起十个工作日内，乙方须将其保存的甲方数据连同全部备份永久清除，使其无法恢复。",
        inv={
            "synonyms": "合同期满或者解除后，乙方应于10个工作日内销毁所存的甲方数据及所有副本，并保证不能复原。",
            "reordered": "乙方须将其保存的甲方数据连同全部备份永久清除、使其无法恢复，时限为本合同终止之日起十个工作日内。",
            "window-then-delete": "本合同终止后，乙方继续为甲方保留数据30日供其导出；期限届满后5个工作日内，乙方须将甲方数据连同全部备份永久清除，使其无法恢复。",
        },
        vendor="本协议终止后，我们将在10个工作日内彻底删除您的数据及其全部备份，删除后无法恢复。",
        dirs={
            "hedge-yuanzeshang": "本合同终止之日起十个工作日内，乙方原则上应将其保存的甲方数据连同全部备份永久清除，使其无法恢复。",
            "hedge-shiqingkuang": "本合同终止后，乙方将视情况清除其保存的甲方数据及备份。",
            "negation-wuyiwu": "本合同终止后，乙方无义务清除其保存的甲方数据及备份。",
            "negation-bufuze": "本合同终止后，乙方不负责销毁其备份系统中的甲方数据。",
            "broad-exception": "除为改进服务所必需外，本合同终止之日起十个工作日内，乙方须将其保存的甲方数据连同全部备份永久清除，使其无法恢复。",
            "duty-on-customer": "本合同终止之日起十个工作日内，甲方应自行将其存放在云平台上的数据连同全部备份永久清除。",
        },
        mft={
            "recycle-bin": "用户在控制台删除的文件先进入回收站，保留7日后由系统自动清空。",
            "audit-log": "乙方不得擅自删除记录甲方管理员操作的审计日志。",
            "account": "乙方人员离场时，甲方应当及时注销其在甲方系统中的登录账号。",
        },
    ),
    *suite(
        "no-unauthorized-use", n=7,
        base="乙方未取得甲方书面授权的，不得查阅、修改、向他人披露、利用、转让或者销毁甲方的任何数据。",
        inv={
            "synonyms": "没有甲方的书面许可，乙方不得调阅、篡改、泄露、使用、转移或者毁坏甲方数据。",
            "reordered": "甲方的任何数据，乙方非经甲方书面授权不得查阅、修改、向他人披露、利用、转让或者销毁。",
        },
        vendor="未经您的书面授权，我们不会查阅、修改、向他人披露、使用、转让或者销毁您的任何数据。",
        dirs={
            "hedge-yuanzeshang": "乙方未取得甲方书面授权的，原则上不得查阅、修改、向他人披露、利用、转让或者销毁甲方的任何数据。",
            "negation-wuxu": "乙方查阅、修改、利用甲方数据，无需取得甲方授权。",
            "broad-exception": "除为改进服务所必需外，乙方未取得甲方书面授权的，不得查阅、修改、向他人披露、利用、转让或者销毁甲方的任何数据。",
            "own-purpose": "乙方未取得甲方书面授权的，不得向他人披露甲方数据，但乙方可将甲方数据用于其产品优化和市场推广。",
            "duty-on-customer": "甲方应当管住其工作人员，使其未经授权不查阅、改动、外传、利用、转让或者销毁甲方数据。",
        },
        mft={
            "price-secrecy": "双方均不得向第三方透露本合同的价格和付款条件。",
            "tool-use": "甲方可以使用乙方提供的报表工具自行统计其业务量。",
            "banned-content": "甲方不得利用云主机发布侵害他人名誉或者宣扬赌博的信息。",
        },
    ),
    *suite(
        "domestic-hosting", n=4,
        base="承载甲方业务的云平台及其数据中心，乙方应当全部设置于中华人民共和国境内。",
        inv={
            "mainland": "乙方用于本项目的机房和服务器全部位于中国大陆。",
            "territory": "乙方承载甲方业务的服务器设在中华人民共和国领域内。",
            "reordered": "乙方应当将承载甲方业务的云平台及其数据中心全部设置于中华人民共和国境内。",
        },
        vendor="我们为您提供本服务的数据中心全部位于中华人民共和国境内。",
        dirs={
            "hedge-yuanzeshang": "承载甲方业务的云平台及其数据中心，乙方原则上应当设置于中华人民共和国境内。",
            "hedge-jinliang": "承载甲方业务的云平台及其数据中心，乙方尽量设置于中华人民共和国境内。",
            "negation": "乙方不保证承载甲方业务的云平台及其数据中心位于中华人民共和国境内。",
            "broad-exception": "承载甲方业务的云平台及其数据中心，乙方应当全部设置于中华人民共和国境内，但乙方为提升访问速度认为必要的除外。",
            "duty-on-customer": "甲方应当自行确保其业务系统部署在中华人民共和国境内的机房。",
        },
        mft={
            "telecom-licence": "乙方持有电信主管部门核发的境内外数据通信业务经营许可证。",
            "invoice": "乙方应当向甲方开具中华人民共和国境内有效的增值税专用发票。",
            "governing-law": "本合同的订立和履行适用中华人民共和国法律。",
        },
    ),
    *suite(
        "incident-reporting", n=9,
        base="乙方一旦发现网络安全事件，须在一小时内告知甲方，并立即向属地公安机关和网信部门报告。",
        inv={
            "synonyms": "乙方察觉数据泄露、系统入侵等安全事故的，应当于60分钟内通报甲方，同时即刻报送当地公安机关与网信部门。",
            "reordered": "对于其发现的网络安全事件，乙方须在一小时内告知甲方，并立即向属地公安机关和网信部门报告。",
        },
        vendor="如发生网络安全事件，我们将在1小时内通知您，并立即向属地公安机关和网信部门报告。",
        dirs={
            "hedge-shiqingkuang": "乙方一旦发现网络安全事件，视情况告知甲方，并向属地公安机关和网信部门报告。",
            "negation-wuyiwu": "乙方发现网络安全事件的，无义务告知甲方或者向有关部门报告。",
            "discretion": "乙方发现网络安全事件的，由乙方自行决定是否告知甲方。",
            "broad-exception": "乙方一旦发现网络安全事件，须在一小时内告知甲方，并立即向属地公安机关和网信部门报告，但乙方认为事件影响轻微的除外。",
            "duty-on-customer": "甲方一旦发现网络安全事件，须在一小时内向属地公安机关和网信部门报告。",
        },
        mft={
            "monthly-report": "乙方应于每月5日前向甲方报送上月的资源使用报告。",
            "password": "用户忘记登录密码的，可以通知客服人员协助重置。",
            "change-notice": "乙方变更联系人的，应当提前三日书面通知甲方。",
        },
    ),
    *suite(
        "data-ownership", n=3,
        base="甲方交付乙方的数据，以及甲方业务系统在云平台运行中收集、生成和存储的数据，所有权均归甲方。",
        inv={
            "synonyms": "甲方提交的数据，连同其系统运行期间采集、产生、保存的数据和文档，一律属于甲方所有。",
            "reordered": "甲方业务系统在云平台运行中收集、生成和存储的数据，以及甲方交付乙方的数据，所有权均归甲方。",
        },
        vendor="您提供给我们的数据，以及您的业务系统在本平台运行中收集、生成和存储的数据，均归您所有。",
        dirs={
            "hedge-yuanzeshang": "甲方交付乙方的数据，以及甲方业务系统在云平台运行中收集、生成和存储的数据，原则上归甲方所有。",
            "negation": "甲方业务系统在云平台运行中收集、生成的数据，所有权不归甲方，由乙方享有。",
            "broad-exception": "除为改进服务所必需外，甲方交付乙方的数据，以及甲方业务系统在云平台运行中收集、生成和存储的数据，所有权均归甲方。",
            "own-purpose": "甲方交付乙方的数据归甲方所有；乙方可以将甲方业务系统运行中生成的数据用于改进其产品。",
            "shared": "甲方业务系统在云平台运行中收集、生成和存储的数据，由甲乙双方共同所有。",
        },
        mft={
            "software-copyright": "乙方提供的云管理软件的著作权归乙方所有。",
            "storage-usage": "甲方可以随时在控制台查看其数据的存储用量。",
            "bare-possessive": "您的数据将保存在您选择的存储区域。",
        },
    ),
    *suite(
        "security-responsibility", n=5,
        base=("乙方应当建立安全管理制度并部署技术防护手段，使甲方数据与业务在机密性、完整性和可用性上得到保障；"
              "甲方对其业务系统承担网络安全最终责任，双方的安全责任划分见附件二。"),
        inv={
            "synonyms": ("乙方负有安全保障义务，须采取管理和技术措施维护甲方数据及业务的保密性、完整性、可用性；"
                         "甲方仍是其业务系统的网络安全责任主体，双方责任边界见附件二。"),
        },
        vendor=("我们负责云平台的安全，确保您的数据和业务的机密性、完整性和可用性；"
                "您是业务系统的网络安全责任主体，双方的安全责任划分见附件二。"),
        dirs={
            "hedge-jinliang": ("乙方应当尽量建立安全管理制度并部署技术防护手段，尽可能使甲方数据与业务在机密性、完整性和可用性上得到保障；"
                               "甲方对其业务系统承担网络安全最终责任，双方的安全责任划分见附件二。"),
            "broad-exception": ("乙方应当建立安全管理制度并部署技术防护手段，使甲方数据与业务在机密性、完整性和可用性上得到保障，"
                                "但乙方基于运营需要认为不必采取的措施除外；甲方对其业务系统承担网络安全最终责任，双方的安全责任划分见附件二。"),
            "negation": "乙方不保证甲方数据和业务的机密性、完整性和可用性，数据安全责任由甲方自行承担。",
            "hacker-disclaimer": "因黑客攻击或计算机病毒造成甲方数据泄露、丢失的，乙方不承担任何责任。",
            "attacks-force-majeure": "本合同所称不可抗力包括网络攻击、计算机病毒等网络安全事件，乙方因此免责。",
            "duty-on-customer": "甲方应当自行采取措施，确保其数据和业务的机密性、完整性和可用性。",
        },
        mft={
            "ddos-availability": "分布式拒绝服务攻击导致的不可用时长，不计入月度服务可用性统计。",
            "fire-safety": "乙方人员进入甲方机房时，应当遵守甲方的消防安全规定。",
            "password": "用户应当妥善保管其登录密码，并对密码的安全负责。",
        },
    ),
    *suite(
        "no-cross-border", n=10,
        base="甲方数据未经甲方书面同意并报主管部门批准的，乙方不得向境外传输，也不得在境外处理或者存储。",
        inv={
            "reordered": "乙方不得向境外传输甲方数据，也不得在境外处理或者存储甲方数据，但经甲方书面同意并报主管部门批准的除外。",
            "policy-own-exception": "甲方数据的传输、处理和存储均应在境内进行；确因业务需要出境的，应当报经甲方批准并依法完成出境安全评估后方可实施。",
        },
        vendor="未经您书面同意并报主管部门批准，我们不会将您的数据传输至境外，也不会在境外处理或存储您的数据。",
        dirs={
            "hedge-yuanzeshang": "甲方数据未经甲方书面同意并报主管部门批准的，乙方原则上不得向境外传输，也不得在境外处理或者存储。",
            "negation": "乙方可以不经甲方同意，将甲方数据传输至境外进行处理。",
            "broad-exception": "甲方数据未经甲方书面同意并报主管部门批准的，乙方不得向境外传输，也不得在境外处理或者存储，但乙方为提供加速服务认为必要的除外。",
            "provider-approves": "甲方数据经乙方内部审批后，方可向境外传输、在境外处理或者存储。",
            "duty-on-customer": "甲方自身不得将其数据送往境外，亦不得在境外对其进行处理或者存放。",
        },
        mft={
            "telecom-licence": "乙方持有电信主管部门核发的境内外数据通信业务经营许可证。",
            "staff-travel": "乙方项目人员因私出境的，应当提前向乙方人事部门报备。",
            "foreign-currency": "本合同价款以人民币结算，乙方不得要求甲方以外币支付。",
        },
    ),
    # classified-exclusion: only the unrelated uses (the banned-content list) here
    Case("classified-exclusion", "MFT", "banned-content",
         "用户不得利用本服务制作或者传播泄露国家秘密、煽动民族仇恨的信息。"),
    Case("classified-exclusion", "MFT", "staff-secrecy",
         "乙方人员对履职中知悉的甲方工作秘密负有保密义务，离职后仍须遵守。"),
]


def _params(kind: str):
    return [pytest.param(c, id=c.id) for c in CASES if c.kind == kind]


# --------------------------------------------------------------------------------------------------- tests

def test_every_requirement_has_base_and_all_perturbations():
    rids = {"termination-deletion", "no-unauthorized-use", "domestic-hosting", "incident-reporting",
            "data-ownership", "security-responsibility", "no-cross-border"}
    for rid in rids:
        kinds = {(c.kind, c.name) for c in CASES if c.rid == rid}
        assert ("INV", "base") in kinds and ("INV", "vendor-voice") in kinds, rid
        assert ("DIR", "far-override") in kinds, rid
        assert any(k == "DIR" and n.startswith("hedge") for k, n in kinds), rid
        assert any(k == "DIR" and n.startswith("negation") for k, n in kinds), rid
        assert any(k == "DIR" and n == "broad-exception" for k, n in kinds), rid
        assert sum(k == "MFT" for k, _ in kinds) >= 2, rid


def test_checklist_texts_are_original():
    """The clauses are the team's own words: no 16-character run shared with the measured corpora beyond
    what the policies themselves say (tests/test_honesty.py)."""
    from test_honesty import CORPUS, N, corpus_index, key

    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    index, _ = corpus_index()
    copied = []
    for c in CASES:
        s = key(c.pre + c.text)
        hits = {f for i in range(len(s) - N + 1) for f in index.get(s[i:i + N], ())}
        if hits:
            copied.append(f"{c.id} <- {', '.join(sorted(hits))}")
    assert not copied, "\n".join(copied)


@pytest.mark.parametrize("case", _params("INV"))
def test_inv_paraphrase_keeps_satisfied(case: Case):
    f = judge(case.pre, case.text, case.rid)
    assert f["status"] == "satisfied", (case.id, f["status"], f["reasons"])
    assert f["reasons"], case.id
    assert shows(f, case.clause), f"{case.id}: satisfied, but the evidence does not show the clause"


@pytest.mark.parametrize("case", _params("DIR"))
def test_dir_perturbation_is_never_satisfied(case: Case):
    f = judge(case.pre, case.text, case.rid)
    if case.id in MISSING_OK and f["status"] == "missing":
        assert f["reasons"], case.id
        return
    assert f["status"] in ("weak", "conflicting"), (
        f"{case.id}: the perturbed clause must weaken or defeat the requirement, got {f['status']}; "
        f"reasons: {f['reasons']}")
    assert f["reasons"] and not any(r.startswith(GENERIC_MISSING) for r in f["reasons"]), (case.id, f["reasons"])
    if case.name == "far-override":
        # the reader must see both ends: the duty taken back (evidence) and the article that takes it
        # back (cited as evidence, or quoted in the reasons)
        quoted = any(_key(case.clause) in _key(r) for r in f["reasons"])
        assert shows(f, case.clause) or quoted, (
            f"{case.id}: {f['status']}, but neither the evidence nor the reasons show the overriding article")
        return
    assert shows(f, case.clause), (
        f"{case.id}: {f['status']}, but the evidence does not show the perturbed clause; evidence roles "
        f"{[e.get('role') for e in f['evidence']]}")


@pytest.mark.parametrize("case", _params("MFT"))
def test_mft_unrelated_use_stays_missing(case: Case):
    f = judge(case.pre, case.text, case.rid)
    assert f["status"] == "missing", (case.id, f["status"], f["reasons"])
    assert f["reasons"], case.id
    assert not [e for e in f["evidence"] if e.get("role") in ("supports", "conflicts")], (
        f"{case.id}: a missing finding must not cite supporting or conflicting passages")

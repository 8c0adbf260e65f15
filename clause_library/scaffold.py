"""`clausecheck rules new ID`: a requirement file with every section to fill in, commented in
Chinese and English. `rules check` refuses it while any 待填写 placeholder remains."""
from __future__ import annotations

import re
from pathlib import Path

ID_RX = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")

TEMPLATE = '''\
# 审查要求 / requirement: {id}
# 填写说明：把每个“待填写”换成实际内容；改完运行  clausecheck rules check 规则包目录
# Fill in every 待填写, then run `clausecheck rules check PACK_DIR`.

# 要求编号，须与文件名一致；只用小写字母、数字和连字符 / stable id, same as the file name
id: {id}
# 如本要求是对内置要求的收紧（更严格），写出被收紧的要求编号，否则删去此行
# a stricter reading of an existing requirement? name it here, otherwise delete the line
{tightens_line}
# 要求标题（中文，出现在报告中）/ title shown in reports
title: 待填写：要求标题
# 英文说明 / one line in English
en: 待填写 (English summary)
# 严重程度 / severity: high | medium | low
severity: medium
# 依据：doc 为 profiles.yaml 中 documents 的代号，section 为条款号，quote 为原文（逐字引用）
# the source: doc = a key of `documents` in profiles.yaml, section = article, quote = the exact wording
sources:
- doc: 待填写
  section: 待填写：第X条
  quote: 待填写：逐字引用的原文
# 三种判断各指什么（给审查人员看）/ what each verdict means, for the reader
meaning:
  satisfied: 待填写：什么样的条款算满足
  weak: 待填写：什么样的条款算薄弱（缺要素、措辞软、有宽泛例外）
  conflicting: 待填写：什么样的条款与要求冲突
# 缺失时告诉读者找的是什么约定 / told to the reader of a `missing` finding
looks_for: 待填写：服务方……的约定
# 示范条款：本身必须被判为满足 / model wording; it must itself be judged satisfied
suggestion: 待填写：乙方应……
# 信号：一句话以何种方式影响判断。all 中第一个表达式须命中该句本身，其余可命中该句或其条标题。
# signals: how a sentence bears on the requirement. The first pattern of `all` must match the
# sentence itself; the others the sentence or its article heading. Patterns may name lexicon
# concepts such as <act-delete>, <customer-data>, <end-of-service> and the parties {{customer}} /
# {{provider}}.
signals:
  - name: main-duty
    role: supports            # supports（满足）| weakens（削弱）| conflicts（冲突）
    all: ['待填写：动作词', '待填写：对象词']
    actor: provider-side      # 谁承担：provider | provider-side（服务方或平台管理方）| customer | manager | any
    modality: [duty, ban]     # 语气：duty（应/须）ban（不得）permission（可/有权）statement（将）negated（无义务）any
    elements:                 # 完整条款应包含的要素；缺了判为薄弱 / what a complete clause contains
      deadline:
        any: ['待填写：时限等要素的表达式']
        missing: 待填写：缺少该要素时给读者的理由
  - name: contrary-right
    role: conflicts
    all: ['待填写：与要求相反的权利']
    actor: provider-side
    modality: [permission]
    reason: 待填写：为什么冲突
# 示例：每类至少一句，用自己的话写，不要抄合同原文 / examples in your own words
examples:
  satisfied:
    - 待填写：一句应判为满足的条款
  weak:
    - 待填写：一句应判为薄弱的条款
  conflicting:
    - 待填写：一句应判为冲突的条款
  missing:
    - 待填写：一句用到相同字眼但与本要求无关的条款
'''


def new_rule(rule_id: str, tightens: str | None = None) -> str:
    if not ID_RX.match(rule_id):
        raise ValueError(f"要求编号 “{rule_id}” 只能由小写字母、数字和连字符组成，如 house-deletion-7d")
    line = f"tightens: {tightens}" if tightens else "# tightens: termination-deletion"
    return TEMPLATE.format(id=rule_id, tightens_line=line)


def write_new_rule(rule_id: str, folder, tightens: str | None = None) -> Path:
    """Write rules/ID.yaml under the pack folder (created with a pack.yaml to fill in if missing)."""
    folder = Path(folder)
    target = folder / "rules" / f"{rule_id}.yaml"
    if target.exists():
        raise FileExistsError(f"{target} 已存在，不会覆盖 / exists, not overwritten")
    text = new_rule(rule_id, tightens)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not (folder / "pack.yaml").exists():
        (folder / "pack.yaml").write_text(
            "# 规则包说明 / the pack: name, version, title, sources\n"
            f"name: {folder.resolve().name}\nversion: \"0.1.0\"\ntitle: 待填写：规则包标题\n"
            "sources:\n- 待填写：本包依据的文件（如本单位数据安全管理办法）\n", encoding="utf-8")
    if not (folder / "profiles.yaml").exists():
        (folder / "profiles.yaml").write_text(
            "# 依据文件代号与审查模板 / source documents and profiles\n"
            "documents:\n  待填写代号: 待填写：文件全称\n"
            "profiles: {}\n", encoding="utf-8")
    target.write_text(text, encoding="utf-8")
    return target

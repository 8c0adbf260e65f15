from nlp.parties import find_parties


def test_bracketed_role_word_decides_what_the_letter_means():
    p = find_parties("甲方（档案部门）：青屿市档案馆\n乙方（政务云平台管理方）：青屿市大数据中心\n丙方（服务方）：澜海云公司\n")
    assert p["customer"][-1] == "青屿市档案馆"
    assert "青屿市大数据中心" in p["manager"]
    assert "澜海云公司" in p["provider"]


def test_witness_with_role_after_the_name_is_the_manager():
    p = find_parties("甲方：某档案馆\n乙方（服务方）：某云公司\n见证方：某大数据中心（某市政务云平台管理方）\n")
    assert "某大数据中心" in p["manager"]


def test_signature_block_and_short_names_add_no_noise():
    text = ("客户（以下简称“用户”）：东陵市商务局\n服务商：北辰智联网络科技有限公司\n"
            "数据在终止后保留十五日（以下简称“数据保留期”）。\n甲方（盖章）：东陵市商务局        服务商（盖章）：北辰\n")
    p = find_parties(text)
    assert p["customer"] == ["客户", "用户", "东陵市商务局"]
    assert "盖章" not in sum(p.values(), [])
    assert "数据保留期" not in sum(p.values(), [])


def test_no_roles_no_parties():
    assert find_parties("本合同适用中华人民共和国法律。") == {}

"""Shared test set-up. Fixtures are generated (tests/fixturegen), once per session, under pytest's
temporary directory."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # `import fixturegen` however pytest was started


@pytest.fixture(scope="session")
def contract_docx(tmp_path_factory) -> Path:
    """The base contract as a .docx with Word numbering, tracked changes, comment, header and footer."""
    from fixturegen.wordlike import contract_docx as build

    return build(tmp_path_factory.mktemp("wordlike") / "contract.docx")

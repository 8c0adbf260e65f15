"""Test fixtures generated at test time from the short base contract, so that no binary file is kept in
the repository and every format's expected text is the base text itself."""
import io
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASE_CONTRACT = ROOT / "fixtures" / "sample" / "base_contract.txt"


def base_lines() -> list[str]:
    return [ln.strip() for ln in BASE_CONTRACT.read_text(encoding="utf-8").splitlines() if ln.strip()]


def zip_of(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip holding these members, in order (the one zip writer the generators and tests share)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()

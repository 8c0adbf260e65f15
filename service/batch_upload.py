"""The files of a POST /v1/batches, zips opened: runs in a limited child (service.isolated), never in
the API server's process, because opening a zip means inflating what a stranger compressed."""
from __future__ import annotations

from service.batch.archive import ArchiveLimits, ArchiveRejected, looks_like_archive, read_archive


def expand_uploads(uploads: list[tuple[str, bytes]], limits: ArchiveLimits) -> dict:
    """-> {"files": [(name, bytes)]}, or {"rejected": (http status, Chinese detail)}."""
    files: list[tuple[str, bytes]] = []
    for name, data in uploads:
        if not looks_like_archive(data):  # a .docx or .ofd is a zip too, but a document
            files.append((name, data))
            continue
        try:
            files.extend(read_archive(data, limits))
        except ArchiveRejected as exc:
            return {"rejected": (exc.status, exc.detail)}
    return {"files": files}

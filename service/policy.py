"""The pass / fail policy applied to a review's findings. It lives in the service, not the engine:
the engine says what each clause does; what a department accepts is a policy decision."""
from __future__ import annotations


def verdict(findings: list[dict]) -> str:
    if all(f["status"] == "satisfied" for f in findings):
        return "pass"
    if any(f["status"] == "conflicting" for f in findings) or any(
            f["status"] == "missing" and f["severity"] == "high" for f in findings):
        return "fail"
    return "needs-revision"


def with_verdict(review: dict) -> dict:
    review["summary"]["verdict"] = verdict(review["findings"])
    return review

"""Run work on user bytes in a limited child and get its value back, or a failure that says why.

The API server's own process, the batch parent and the CLI parent never parse a user file: they
hand it to a sandbox child (service.batch.sandbox) that caps its memory and CPU time and is killed,
with its process group, at the deadline.
"""
from __future__ import annotations

from .batch.sandbox import Sandbox
from .limits import WorkLimits


class IsolatedFailure(Exception):
    """The child could not give an answer: error is {"code", "message", "message_en"?, "http_status"?}."""

    def __init__(self, error: dict):
        super().__init__(error.get("code", "internal-error"))
        self.error = error

    @property
    def code(self) -> str:
        return self.error.get("code", "internal-error")

    @property
    def message_zh(self) -> str:
        return self.error.get("message", "")

    @property
    def message_en(self) -> str:
        return self.error.get("message_en") or self.code

    @property
    def http_status(self) -> int:
        return int(self.error.get("http_status") or 422)


class Isolated:
    """One child, reused for several calls in a row; a call that fails it (deadline, crash, memory)
    gets a fresh child for the next call. Not thread-safe: one caller at a time."""

    def __init__(self, timeout: float, limits: WorkLimits | None = None, *, review_fn: str | None = None,
                 warm: bool = False):
        self.timeout = timeout
        self.sandbox = Sandbox(review_fn, limits, warm=warm)

    def __enter__(self) -> "Isolated":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.sandbox.kill()

    def call(self, spec: str, *args):
        """spec: "module:function", importable in the child; args and value must pickle."""
        return self._value(self.sandbox.call({"call": spec, "args": args}, self.timeout))

    def review(self, task: dict) -> dict:
        """A review task ({"path" | "data", "name", "profile"}) with the sandbox's review function."""
        result = self.sandbox.call(task, self.timeout)
        if result.get("status") == "ok":
            return result["review"]
        raise IsolatedFailure(result.get("error") or {})

    @staticmethod
    def _value(result: dict):
        if result.get("status") == "ok":
            return result["value"]
        raise IsolatedFailure(result.get("error") or {})


def call_isolated(spec: str, *args, timeout: float, limits: WorkLimits | None = None):
    """One call in a fresh child that ends with it."""
    with Isolated(timeout, limits) as child:
        return child.call(spec, *args)

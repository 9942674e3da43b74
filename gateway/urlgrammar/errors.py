"""The one error type of the URL grammar."""

from __future__ import annotations


class GrammarError(ValueError):
    """A malformed or unknown parameter (HTTP 400).

    Attributes:
        code: stable machine-readable code: ``invalid_parameter``,
            ``unknown_parameter`` or ``missing_source``.
        parameter: the offending parameter key (e.g. ``"w"``), or None.
        allowed: human-readable description of the accepted values.
    """

    def __init__(
        self, code: str, message: str, parameter: str | None = None, allowed: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.parameter = parameter
        self.allowed = allowed

    def to_json(self) -> dict[str, str]:
        """The JSON error body."""
        body = {"code": self.code, "message": self.message}
        if self.parameter is not None:
            body["parameter"] = self.parameter
        if self.allowed is not None:
            body["allowed"] = self.allowed
        return body


def invalid(parameter: str, value: str, allowed: str) -> GrammarError:
    """``invalid_parameter`` for ``parameter-value``."""
    return GrammarError(
        "invalid_parameter",
        f"invalid value {value!r} for parameter {parameter!r}; allowed: {allowed}",
        parameter,
        allowed,
    )

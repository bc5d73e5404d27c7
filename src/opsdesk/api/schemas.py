"""Schemas every part of the API shares."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field


class ErrorOut(Schema):
    """Every error: a readable, translated ``detail`` and a stable ``code``; 422 adds ``errors`` per field."""

    detail: str = Field(description="What went wrong, in the caller's language (Accept-Language).")
    code: str = Field(description="A stable machine-readable code, e.g. not_found, stale_version, invalid.")
    errors: dict[str, list[str]] | None = Field(
        None, description="Only on 422: the fields that need attention and what is wrong with each."
    )

"""Names of bilingual records (organisations, groups, services) in the reader's language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language


def localized_name(obj: Any) -> str:
    """``name_en`` when the reader reads English and it is set, else ``name``; ``str()`` for anything else."""
    if obj is None:
        return ""
    if hasattr(obj, "display_name") and not hasattr(obj, "username"):
        return str(obj.display_name)
    name_en = getattr(obj, "name_en", "")
    if name_en and (get_language() or "").startswith("en"):
        return name_en
    return str(getattr(obj, "name", "") or obj)

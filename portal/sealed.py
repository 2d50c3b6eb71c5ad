"""The registry of sealed (encrypted) columns, for key rotation.

Each app that stores sealed blobs registers them in its ``AppConfig.ready()``::

    register_sealed_field(model="messaging.Message", field="body_sealed",
                          context=lambda row: f"message:{row.pk}")

``rotate_encryption_key`` walks every registered field and re-wraps each blob
under the newest key. The registry keeps portal free of imports from the apps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SealedField:
    model: str  # "app_label.ModelName"
    field: str  # a BinaryField (or a FileField whose file content is sealed: see labs)
    context: Callable[[Any], str]
    is_file: bool = False


_REGISTRY: dict[tuple[str, str], SealedField] = {}


def register_sealed_field(*, model: str, field: str, context: Callable[[Any], str], is_file: bool = False) -> None:
    _REGISTRY[(model, field)] = SealedField(model=model, field=field, context=context, is_file=is_file)


def sealed_fields() -> list[SealedField]:
    return sorted(_REGISTRY.values(), key=lambda item: (item.model, item.field))

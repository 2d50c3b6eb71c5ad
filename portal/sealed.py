"""The registry of sealed (encrypted) columns, for key rotation.

Each app that stores sealed blobs registers them in its ``AppConfig.ready()``::

    register_sealed_field(model=Message, field="body_sealed",
                          context=lambda row: f"message:{row.pk}")

``rotate_encryption_key`` walks every registered field and re-wraps each blob
under the newest key. The registry keeps portal free of imports from the apps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model


@dataclass(frozen=True)
class SealedField:
    model: str  # "app_label.ModelName", for messages and the tests
    model_class: type[Model]
    field: str  # a BinaryField (or a FileField whose file content is sealed: see labs)
    context: Callable[[Any], str]
    is_file: bool = False


_REGISTRY: dict[tuple[str, str], SealedField] = {}


def register_sealed_field(
    *, model: type[Model], field: str, context: Callable[[Any], str], is_file: bool = False
) -> None:
    label = model._meta.label
    _REGISTRY[(label, field)] = SealedField(
        model=label, model_class=model, field=field, context=context, is_file=is_file
    )


def sealed_fields() -> list[SealedField]:
    return sorted(_REGISTRY.values(), key=lambda item: (item.model, item.field))

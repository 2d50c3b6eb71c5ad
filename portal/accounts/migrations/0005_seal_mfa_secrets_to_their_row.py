"""MFA secrets and recovery seeds were sealed with one fixed context for every row
("sealed:" values): a secret copied into another user's row opened there. Each is
now sealed to its row, its owner and kind ("sealed2:", context "mfa:<user>:<type>").

The formats are written out here (not imported) so this migration keeps meaning
what it meant when it ran.
"""

import base64

from django.db import migrations

OLD_PREFIX, OLD_CONTEXT = "sealed:", "mfa_secret"
NEW_PREFIX = "sealed2:"
KEYS = ("secret", "seed")


def _convert(data: dict, convert) -> bool:
    changed = False
    for key in KEYS:
        if key in data:
            data[key], did = convert(data[key])
            changed |= did
    if isinstance(data.get("migrated_codes"), list):
        pairs = [convert(code) for code in data["migrated_codes"]]
        data["migrated_codes"] = [code for code, _ in pairs]
        changed |= any(did for _, did in pairs)
    return changed


def _resealer(from_prefix, from_context, to_prefix, to_context):
    from portal.crypto import open_sealed, seal

    def convert(value):
        if not isinstance(value, str) or not value.startswith(from_prefix):
            return value, False
        plain = open_sealed(base64.b64decode(value[len(from_prefix) :]), context=from_context)
        return to_prefix + base64.b64encode(seal(plain, context=to_context)).decode(), True

    return convert


def _reseal_every_row(apps, resealer_for) -> None:
    Authenticator = apps.get_model("mfa", "Authenticator")
    for row in Authenticator.objects.order_by("pk").iterator():
        convert = resealer_for(f"mfa:{row.user_id}:{row.type}")
        if isinstance(row.data, dict) and _convert(row.data, convert):
            Authenticator.objects.filter(pk=row.pk).update(data=row.data)


def forwards(apps, schema_editor):
    _reseal_every_row(apps, lambda context: _resealer(OLD_PREFIX, OLD_CONTEXT, NEW_PREFIX, context))


def backwards(apps, schema_editor):
    _reseal_every_row(apps, lambda context: _resealer(NEW_PREFIX, context, OLD_PREFIX, OLD_CONTEXT))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_invitation_totp_secret"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]

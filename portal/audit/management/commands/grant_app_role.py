"""``python manage.py grant_app_role ROLE [--create]``: the PostgreSQL role the portal
runs as, which owns nothing and may only INSERT and SELECT audit events.

Run it as the database's owner (the role that runs ``migrate``), after every
``migrate``; docker-compose's ``migrate`` service does both. Then point the web,
worker and beat processes' ``DATABASE_URL`` at ROLE.

What ROLE gets:
1. ``CONNECT`` on the database and ``USAGE`` on the schema; with ``--create``, the
   role itself (``LOGIN``, password from ``AFTERCARE_DB_APP_PASSWORD``) if missing,
   else that password (so changing the variable changes the password).
2. ``SELECT, INSERT, UPDATE, DELETE`` on every table and ``USAGE, SELECT`` on every
   sequence, now and (default privileges) on those later migrations create.
3. On the audit table: ``SELECT`` and ``INSERT`` only. Not owning it, ROLE cannot
   ``TRUNCATE`` it, ``ALTER`` it or ``DISABLE TRIGGER`` the append-only trigger; the
   trigger refuses UPDATE and DELETE even to the owner.

Refuses a ROLE that is a superuser or owns any table: such a role could undo all
of this (tests/portal/test_app_role.py proves each refusal as the role itself).
"""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from psycopg import sql

from portal.audit.models import AuditEvent

PASSWORD_VARIABLE = "AFTERCARE_DB_APP_PASSWORD"  # noqa: S105 (the variable's name)


def grant_statements(role: str, *, database: str, schema: str = "public") -> list[sql.Composed]:
    """The GRANTs and REVOKEs, in order (idempotent: run them after every migrate)."""
    role_id, schema_id = sql.Identifier(role), sql.Identifier(schema)
    audit = sql.Identifier(schema, AuditEvent._meta.db_table)
    return [
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), role_id),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema_id, role_id),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(schema_id, role_id),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema_id, role_id),
        # Tables and sequences that later migrations create (by the role running this).
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}").format(
            schema_id, role_id
        ),
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT USAGE, SELECT ON SEQUENCES TO {}").format(
            schema_id, role_id
        ),
        # The audit log: append and read, nothing else.
        sql.SQL("REVOKE ALL ON TABLE {} FROM {}").format(audit, role_id),
        sql.SQL("GRANT SELECT, INSERT ON TABLE {} TO {}").format(audit, role_id),
    ]


class Command(BaseCommand):
    help = "Grant the portal's PostgreSQL role what it needs: no ownership, and INSERT/SELECT only on the audit log."

    def add_arguments(self, parser) -> None:
        parser.add_argument("role", help="The role the web, worker and beat processes connect as.")
        parser.add_argument(
            "--create",
            action="store_true",
            help=f"Create the role (LOGIN, password from {PASSWORD_VARIABLE}) when it does not exist yet, "
            "or set its password to that value when it does.",
        )

    def handle(self, *args, role: str, create: bool, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("grant_app_role is for PostgreSQL (the embedded SQLite default has no roles).")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
            found = cursor.fetchone()
            if found is None:
                if not create:
                    raise CommandError(f"There is no role {role!r}: create it, or pass --create.")
                password = os.environ.get(PASSWORD_VARIABLE, "")
                if not password:
                    raise CommandError(f"--create needs the role's password in {PASSWORD_VARIABLE}.")
                create_role = sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(password)
                )
                cursor.execute(create_role.as_string(connection.connection))
            elif found[0]:
                raise CommandError(f"{role!r} is a superuser: the portal must run as a role that is not.")
            elif create and os.environ.get(PASSWORD_VARIABLE):
                alter_role = sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(os.environ[PASSWORD_VARIABLE])
                )
                cursor.execute(alter_role.as_string(connection.connection))
            cursor.execute(
                "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
                "WHERE r.rolname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'S')",
                [role],
            )
            if cursor.fetchone()[0]:
                raise CommandError(f"{role!r} owns tables: the portal must run as a role that owns none.")
            for statement in grant_statements(role, database=connection.settings_dict["NAME"]):
                cursor.execute(statement.as_string(connection.connection))
        self.stdout.write(
            self.style.SUCCESS(
                f"{role}: read and write on the portal's tables; SELECT and INSERT only on {AuditEvent._meta.db_table}."
            )
        )

"""Web users, roles and the audit log, kept in one local SQLite file.

Passwords are stored as werkzeug hashes (scrypt). The audit log records every
view of a person or household, every query run and every export: who, when,
what, which person keys and the reason given. Rows are only ever appended.

>>> import tempfile, os
>>> accounts = Accounts(os.path.join(tempfile.mkdtemp(), "users.sqlite"))
>>> accounts.add_user("asha", "correct horse battery", "analyst").role
'analyst'
>>> accounts.authenticate("asha", "wrong password") is None
True
>>> accounts.authenticate("asha", "correct horse battery").name
'asha'
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import ConfigError, StoreUnavailable, ValidationError

__all__ = ["ROLES", "MIN_PASSWORD_LENGTH", "User", "AuditEntry", "Accounts", "random_password"]

ROLES = ("analyst", "admin")
MIN_PASSWORD_LENGTH = 10
# After this many wrong passwords in a row an account is locked for LOCK_MINUTES.
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('analyst', 'admin')),
    disabled INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    password_changed TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user TEXT NOT NULL,
    action TEXT NOT NULL,
    what TEXT NOT NULL,
    person_keys TEXT NOT NULL,
    reason TEXT NOT NULL,
    remote_addr TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
CREATE INDEX IF NOT EXISTS audit_user ON audit (user);
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# A hash to check against when the user does not exist, so a wrong name takes as long as a wrong password.
@functools.cache
def _dummy_hash() -> str:
    """A hash to check unknown user names against (same time as a real check); made on first use,
    not at import, because scrypt costs ~0.17 s and every CLI command imports this module."""
    return generate_password_hash("not a real password")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def random_password(nbytes: int = 12) -> str:
    """A random password (URL-safe, 16 characters for the default 12 bytes)."""
    return secrets.token_urlsafe(nbytes)


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    disabled: bool
    created: str
    password_changed: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    user: str
    action: str
    what: str
    person_keys: list[str]
    reason: str
    remote_addr: str

    COLUMNS = ("id", "at", "user", "action", "what", "person_keys", "reason", "remote_addr")


class Accounts:
    """The users and audit database at ``path`` (created with its tables on first use)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA busy_timeout=5000")
            self._conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as err:
            raise StoreUnavailable(f"cannot open the users database {self.path}: {err}",
                                   hint="choose a writable path with MASHGRAPH_USERS_DB") from err
        self._lock = threading.Lock()
        self.path.chmod(0o600)

    def close(self) -> None:
        self._conn.close()

    def _exec(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""
        with self._lock:
            return self._conn.execute(sql, tuple(params)).rowcount

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        # Fetch under the lock too: the connection is shared by the server's threads.
        with self._lock:
            return self._conn.execute(sql, tuple(params)).fetchall()

    # -- secret key ---------------------------------------------------------------
    def secret_key(self) -> str:
        """The session-signing key kept in this database (made once, at random)."""
        with self._lock:
            self._conn.execute("INSERT OR IGNORE INTO meta (name, value) VALUES ('secret_key', ?)",
                               (secrets.token_hex(32),))
            return self._conn.execute("SELECT value FROM meta WHERE name = 'secret_key'").fetchone()[0]

    # -- users ------------------------------------------------------------------------
    def add_user(self, name: str, password: str, role: str = "analyst") -> User:
        """Create a user; ``ValidationError`` for a taken name, unknown role or short password."""
        name = _check_name(name)
        _check_role(role)
        _check_password(password)
        now = _now().isoformat()
        try:
            self._exec("INSERT INTO users (name, password_hash, role, created, password_changed) "
                       "VALUES (?, ?, ?, ?, ?)", (name, generate_password_hash(password), role, now, now))
        except sqlite3.IntegrityError:
            raise ValidationError(f"user {name!r} already exists",
                                  hint=f"choose another name or run `mashgraph users passwd {name}`") from None
        return self.get_user(name)  # type: ignore[return-value]

    def get_user(self, name: str) -> User | None:
        rows = self._rows("SELECT id, name, role, disabled, created, password_changed FROM users "
                          "WHERE name = ?", (name,))
        row = rows[0] if rows else None
        return User(row[0], row[1], row[2], bool(row[3]), row[4], row[5]) if row else None

    def get_user_by_id(self, user_id: int) -> User | None:
        rows = self._rows("SELECT name FROM users WHERE id = ?", (user_id,))
        return self.get_user(rows[0][0]) if rows else None

    def list_users(self) -> list[User]:
        rows = self._rows("SELECT id, name, role, disabled, created, password_changed FROM users "
                          "ORDER BY name")
        return [User(r[0], r[1], r[2], bool(r[3]), r[4], r[5]) for r in rows]

    def set_password(self, name: str, password: str) -> None:
        """Change a password; this also ends the user's open sessions and clears a lock."""
        _check_password(password)
        changed = self._exec("UPDATE users SET password_hash = ?, password_changed = ?, failed_logins = 0, "
                         "locked_until = NULL WHERE name = ?",
                         (generate_password_hash(password), _now().isoformat(), name))
        if changed == 0:
            raise _no_such_user(name)

    def set_disabled(self, name: str, disabled: bool = True) -> None:
        changed = self._exec("UPDATE users SET disabled = ? WHERE name = ?", (int(disabled), name))
        if changed == 0:
            raise _no_such_user(name)

    def set_role(self, name: str, role: str) -> None:
        _check_role(role)
        changed = self._exec("UPDATE users SET role = ? WHERE name = ?", (role, name))
        if changed == 0:
            raise _no_such_user(name)

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when ``password`` is right and the account is enabled and not locked, else None."""
        rows = self._rows("SELECT password_hash, disabled, failed_logins, locked_until FROM users "
                          "WHERE name = ?", (name,))
        if not rows:
            check_password_hash(_dummy_hash(), password)
            return None
        pw_hash, disabled, failed, locked_until = rows[0]
        now = _now()
        if locked_until and dt.datetime.fromisoformat(locked_until) > now:
            return None
        if not check_password_hash(pw_hash, password):
            failed += 1
            lock = (now + dt.timedelta(minutes=LOCK_MINUTES)).isoformat() if failed >= MAX_FAILED_LOGINS else None
            self._exec("UPDATE users SET failed_logins = ?, locked_until = ? WHERE name = ?",
                       (0 if lock else failed, lock, name))
            return None
        self._exec("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE name = ?", (name,))
        return None if disabled else self.get_user(name)

    # -- audit ----------------------------------------------------------------------------
    def audit(self, user: str, action: str, what: str, person_keys: Iterable[str] = (),
              reason: str = "", remote_addr: str = "") -> None:
        """Append one audit row (time is UTC, to the second)."""
        keys = sorted({str(k) for k in person_keys if k})
        self._exec("INSERT INTO audit (at, user, action, what, person_keys, reason, remote_addr) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (_now().isoformat(), user, action, what, json.dumps(keys), reason or "", remote_addr or ""))

    def audit_entries(self, *, user: str = "", person_key: str = "", action: str = "",
                      since: str = "", until: str = "", limit: int | None = 200,
                      offset: int = 0) -> list[AuditEntry]:
        """Audit rows, newest first, filtered by user, person key, action and date (ISO ``YYYY-MM-DD``)."""
        where, params = ["1 = 1"], []
        if user:
            where.append("user = ?")
            params.append(user)
        if action:
            where.append("action = ?")
            params.append(action)
        if person_key:
            where.append("EXISTS (SELECT 1 FROM json_each(audit.person_keys) WHERE value = ?)")
            params.append(person_key)
        if since:
            where.append("at >= ?")
            params.append(_iso_day(since, "since"))
        if until:
            where.append("at < ?")
            params.append((dt.date.fromisoformat(_iso_day(until, "until")) + dt.timedelta(days=1)).isoformat())
        sql = ("SELECT id, at, user, action, what, person_keys, reason, remote_addr FROM audit WHERE "
               + " AND ".join(where) + " ORDER BY id DESC")
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return [AuditEntry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7])
                for r in self._rows(sql, params)]

    def audit_csv(self, entries: list[AuditEntry]) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(AuditEntry.COLUMNS)
        for e in entries:
            writer.writerow([e.id, e.at, e.user, e.action, e.what, " ".join(e.person_keys),
                             e.reason, e.remote_addr])
        return buf.getvalue()


def _iso_day(value: str, name: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValidationError(f"{name}={value!r} is not a date", hint="use YYYY-MM-DD") from None


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 64 or any(c.isspace() for c in name):
        raise ValidationError(f"user name {name!r} is not valid",
                              hint="use 1-64 characters without spaces, e.g. a.smith")
    return name


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}", hint=f"use one of: {', '.join(ROLES)}")


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"the password is shorter than {MIN_PASSWORD_LENGTH} characters",
                              hint="choose a longer password (a passphrase of several words works well)")


def _no_such_user(name: str) -> ValidationError:
    return ValidationError(f"no user named {name!r}", hint="see `mashgraph users list`")

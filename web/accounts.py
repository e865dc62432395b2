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

import datetime as dt
import functools
import hashlib
import json
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import ConfigError, StoreUnavailable, ValidationError
from ..safe_csv import to_csv

__all__ = ["ROLES", "PERMISSIONS", "MIN_PASSWORD_LENGTH", "User", "AuditEntry", "HistoryEntry", "Accounts",
           "random_password"]

ROLES = ("analyst", "admin")
# Permissions an administrator grants one user at a time, on top of the role (`mashgraph users grant`).
PERMISSIONS = {"console": "run their own read-only Cypher in the web console (/console)"}
# The console keeps each user's newest statements, no more.
HISTORY_KEEP = 200
MIN_PASSWORD_LENGTH = 10
MAX_NAME_LENGTH = 64
# Longer passwords are refused before hashing (scrypt of a megabyte is a cheap way to load the server).
MAX_PASSWORD_LENGTH = 1024
# Failed sign-ins are counted over a sliding window of LOCK_MINUTES:
# MAX_FAILED_LOGINS for one account from one address lock that account *for that address*
# (the real user signing in from elsewhere is not locked out), and MAX_ADDRESS_FAILURES
# from one address, whatever the account, block that address before any password is checked.
MAX_FAILED_LOGINS = 5
MAX_ADDRESS_FAILURES = 20
LOCK_MINUTES = 15
# A session's last_seen is written at most this often (not on every click).
SESSION_TOUCH_SECONDS = 30

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('analyst', 'admin')),
    disabled INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    password_changed TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,  -- unused since login_failures (kept for old files)
    locked_until TEXT                          -- unused since login_failures
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
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL,
    created TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);
CREATE TABLE IF NOT EXISTS login_failures (
    user TEXT NOT NULL,
    addr TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_addr ON login_failures (addr, at);
CREATE INDEX IF NOT EXISTS login_failures_user ON login_failures (user, addr, at);
CREATE TABLE IF NOT EXISTS grants (
    user_id INTEGER NOT NULL,
    permission TEXT NOT NULL,
    granted TEXT NOT NULL,
    PRIMARY KEY (user_id, permission)
);
CREATE TABLE IF NOT EXISTS console_history (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    statement TEXT NOT NULL,
    params TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS console_history_user ON console_history (user_id, id);
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
    permissions: tuple[str, ...] = ()

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may(self, permission: str) -> bool:
        """Whether an administrator granted this user ``permission`` (see ``PERMISSIONS``)."""
        return permission in self.permissions


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


@dataclass(frozen=True)
class HistoryEntry:
    """One statement a user ran in the console, with its parameter lines."""

    id: int
    at: str
    statement: str
    params: str


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
        return self._user(rows[0]) if rows else None

    def _user(self, row: tuple[Any, ...]) -> User:
        granted = self._rows("SELECT permission FROM grants WHERE user_id = ? ORDER BY permission", (row[0],))
        return User(row[0], row[1], row[2], bool(row[3]), row[4], row[5], tuple(g[0] for g in granted))

    def get_user_by_id(self, user_id: int) -> User | None:
        rows = self._rows("SELECT name FROM users WHERE id = ?", (user_id,))
        return self.get_user(rows[0][0]) if rows else None

    def list_users(self) -> list[User]:
        rows = self._rows("SELECT id, name, role, disabled, created, password_changed FROM users "
                          "ORDER BY name")
        return [self._user(r) for r in rows]

    def set_password(self, name: str, password: str) -> None:
        """Change a password; this also ends the user's open sessions and clears a lock."""
        _check_password(password)
        changed = self._exec("UPDATE users SET password_hash = ?, password_changed = ? WHERE name = ?",
                             (generate_password_hash(password), _now().isoformat(), name))
        if changed == 0:
            raise _no_such_user(name)
        self._exec("DELETE FROM login_failures WHERE user = ?", (name,))
        self.end_sessions_of(name)

    def set_disabled(self, name: str, disabled: bool = True) -> None:
        """Disable (or enable) a user; disabling ends every open session of theirs at once."""
        changed = self._exec("UPDATE users SET disabled = ? WHERE name = ?", (int(disabled), name))
        if changed == 0:
            raise _no_such_user(name)
        if disabled:
            self.end_sessions_of(name)

    def set_role(self, name: str, role: str) -> None:
        _check_role(role)
        changed = self._exec("UPDATE users SET role = ? WHERE name = ?", (role, name))
        if changed == 0:
            raise _no_such_user(name)

    def grant(self, name: str, permission: str) -> None:
        """Give user ``name`` a permission of ``PERMISSIONS`` (granting it twice is harmless)."""
        user = self._existing(name, permission)
        self._exec("INSERT OR IGNORE INTO grants (user_id, permission, granted) VALUES (?, ?, ?)",
                   (user.id, permission, _now().isoformat()))

    def revoke(self, name: str, permission: str) -> None:
        """Take ``permission`` away from user ``name``; it applies at their next click."""
        user = self._existing(name, permission)
        self._exec("DELETE FROM grants WHERE user_id = ? AND permission = ?", (user.id, permission))

    def _existing(self, name: str, permission: str) -> User:
        if permission not in PERMISSIONS:
            raise ConfigError(f"unknown permission {permission!r}", hint=f"use one of: {', '.join(PERMISSIONS)}")
        user = self.get_user(name)
        if user is None:
            raise _no_such_user(name)
        return user

    def authenticate(self, name: str, password: str, remote_addr: str = "") -> User | None:
        """The user when ``password`` is right and the account is enabled and not locked, else None.

        Every call hashes the password exactly once and every refusal does the
        same statements (unknown name, wrong password, locked or disabled
        account alike), so neither the answer nor the time tells them apart.
        Call ``address_blocked`` first: a blocked address should not cost a hash.
        """
        rows = self._rows("SELECT password_hash, disabled FROM users WHERE name = ?", (name,))
        pw_hash, disabled = rows[0] if rows else (_dummy_hash(), 1)
        right = check_password_hash(pw_hash, password[:MAX_PASSWORD_LENGTH]) and len(password) <= MAX_PASSWORD_LENGTH
        locked = self._recent_failures("user = ? AND addr = ?", (name, remote_addr)) >= MAX_FAILED_LOGINS
        if not right or disabled or locked:
            self._exec("INSERT INTO login_failures (user, addr, at) VALUES (?, ?, ?)",
                       (name[:MAX_NAME_LENGTH], remote_addr, _now().isoformat()))
            return None
        self._exec("DELETE FROM login_failures WHERE user = ? AND addr = ?", (name, remote_addr))
        return self.get_user(name)

    def address_blocked(self, remote_addr: str) -> bool:
        """Whether ``remote_addr`` failed MAX_ADDRESS_FAILURES sign-ins in the last LOCK_MINUTES."""
        return self._recent_failures("addr = ?", (remote_addr,)) >= MAX_ADDRESS_FAILURES

    def _recent_failures(self, where: str, params: tuple[str, ...]) -> int:
        since = (_now() - dt.timedelta(minutes=LOCK_MINUTES)).isoformat()
        return self._rows(f"SELECT count(*) FROM login_failures WHERE {where} AND at >= ?",
                          (*params, since))[0][0]

    # -- sessions (server side: a copied cookie dies with its session) -----------------
    def start_session(self, user: User, idle_minutes: int, max_minutes: int) -> str:
        """A new session of ``user``: the token for the cookie (only its hash is stored).

        Sessions that have ended since (idle or too old) and failures older than a day go."""
        token = secrets.token_urlsafe(32)
        now = _now().isoformat()
        self._exec("DELETE FROM sessions WHERE last_seen < ? OR created < ?",
                   ((_now() - dt.timedelta(minutes=idle_minutes)).isoformat(),
                    (_now() - dt.timedelta(minutes=max_minutes)).isoformat()))
        self._exec("DELETE FROM login_failures WHERE at < ?", ((_now() - dt.timedelta(days=1)).isoformat(),))
        self._exec("INSERT INTO sessions (id, user_id, created, last_seen) VALUES (?, ?, ?, ?)",
                   (_token_id(token), user.id, now, now))
        return token

    def session_user(self, token: str, idle_minutes: int, max_minutes: int) -> User | None:
        """The enabled user of a live session, else None (an expired session is deleted)."""
        rows = self._rows("SELECT s.user_id, s.created, s.last_seen, u.name, u.disabled FROM sessions s "
                          "JOIN users u ON u.id = s.user_id WHERE s.id = ?", (_token_id(token),))
        if not rows:
            return None
        user_id, created, last_seen, name, disabled = rows[0]
        now = _now()
        idle = now - dt.datetime.fromisoformat(last_seen)
        if disabled or idle > dt.timedelta(minutes=idle_minutes) or \
                now - dt.datetime.fromisoformat(created) > dt.timedelta(minutes=max_minutes):
            self.end_session(token)
            return None
        if idle.total_seconds() >= SESSION_TOUCH_SECONDS:
            self._exec("UPDATE sessions SET last_seen = ? WHERE id = ?", (now.isoformat(), _token_id(token)))
        return self.get_user(name)

    def end_session(self, token: str) -> None:
        self._exec("DELETE FROM sessions WHERE id = ?", (_token_id(token),))

    def end_sessions_of(self, name: str) -> int:
        """End every session of user ``name``; how many there were."""
        return self._exec("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?)", (name,))

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

    # -- console history (each user sees only their own) ------------------------------------
    def add_history(self, user: User, statement: str, params: str) -> None:
        """Remember a statement ``user`` ran in the console; only their newest HISTORY_KEEP stay."""
        self._exec("INSERT INTO console_history (user_id, at, statement, params) VALUES (?, ?, ?, ?)",
                   (user.id, _now().isoformat(), statement, params))
        self._exec("DELETE FROM console_history WHERE user_id = ? AND id NOT IN (SELECT id FROM "
                   "console_history WHERE user_id = ? ORDER BY id DESC LIMIT ?)", (user.id, user.id, HISTORY_KEEP))

    def history(self, user: User, limit: int = 50) -> list[HistoryEntry]:
        """``user``'s own console statements, newest first."""
        rows = self._rows("SELECT id, at, statement, params FROM console_history WHERE user_id = ? "
                          "ORDER BY id DESC LIMIT ?", (user.id, limit))
        return [HistoryEntry(*r) for r in rows]

    def history_entry(self, user: User, entry_id: int) -> HistoryEntry | None:
        """One of ``user``'s own statements; None for another user's (or no such entry)."""
        rows = self._rows("SELECT id, at, statement, params FROM console_history WHERE user_id = ? AND id = ?",
                          (user.id, entry_id))
        return HistoryEntry(*rows[0]) if rows else None

    def audit_csv(self, entries: list[AuditEntry]) -> str:
        """The entries as CSV, every cell safe to open in a spreadsheet."""
        return to_csv(AuditEntry.COLUMNS, ([e.id, e.at, e.user, e.action, e.what, " ".join(e.person_keys),
                                            e.reason, e.remote_addr] for e in entries))


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _iso_day(value: str, name: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValidationError(f"{name}={value!r} is not a date", hint="use YYYY-MM-DD") from None


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH or not all(c.isprintable() and not c.isspace() for c in name):
        raise ValidationError(f"user name {name[:MAX_NAME_LENGTH]!r} is not valid",
                              hint=f"use 1-{MAX_NAME_LENGTH} printable characters without spaces, e.g. a.smith")
    return name


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}", hint=f"use one of: {', '.join(ROLES)}")


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"the password is shorter than {MIN_PASSWORD_LENGTH} characters",
                              hint="choose a longer password (a passphrase of several words works well)")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(f"the password is longer than {MAX_PASSWORD_LENGTH} characters",
                              hint="choose a shorter passphrase")


def _no_such_user(name: str) -> ValidationError:
    return ValidationError(f"no user named {name!r}", hint="see `mashgraph users list`")

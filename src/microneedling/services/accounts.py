"""Accounts of the web app: create, authenticate with lock-out, API tokens and log-in sessions.

Passwords are hashed with argon2id at the cost the policy sets. API tokens and
session cookies are 32 random bytes; the database keeps only their SHA-256, so a copy of the
database lets no one log in. The policy values (lock-out, session length) are the clinic's, in
``data/accounts.yaml``.

References
----------
Biryukov A, Dinu D, Khovratovich D, Josefsson S. Argon2 Memory-Hard Function for Password
Hashing and Proof-of-Work Applications. RFC 9106, 2021.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from microneedling.core.data import check_sources, first_error, read_data
from microneedling.core.errors import MicroneedlingError, NotFoundError, ValidationError
from microneedling.core.parsing import check_text, utcnow
from microneedling.records.accounts import ROLES, Account, ApiToken, LoginSession
from microneedling.services.views import record

USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
USERNAME_RULE = (
    "1-64 lower-case ASCII letters, digits, '.', '-', '_', starting with a letter or digit"
)
TOKEN_BYTES = 32


class LoginRefused(MicroneedlingError):  # noqa: N818 - a refusal, named as the user sees it
    """Wrong user name or password, a disabled or a locked account: one message for all but the
    lock, so the refusal does not tell which user names exist."""


class AccountPolicy(BaseModel):
    """The clinic's log-in policy (``data/accounts.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    max_failed_logins: int = Field(ge=1, le=100)
    lockout_minutes: float = Field(gt=0, le=7 * 24 * 60)
    login_attempts_per_minute: int = Field(ge=1, le=10_000)
    session_hours: float = Field(gt=0, le=24 * 30)
    password_min_chars: int = Field(ge=8, le=128)
    password_max_chars: int = Field(ge=8, le=4096)
    token_touch_minutes: float = Field(ge=0, le=24 * 60)
    argon2_memory_kib: int = Field(ge=8 * 1024, le=4 * 1024 * 1024)
    argon2_time_cost: int = Field(ge=1, le=100)
    argon2_parallelism: int = Field(ge=1, le=64)


@cache
def load_policy() -> AccountPolicy:
    """The log-in policy, read and checked once."""
    try:
        policy = AccountPolicy.model_validate(read_data("accounts.yaml"))
    except PydanticValidationError as exc:
        raise first_error(exc, "accounts.yaml.") from None
    check_sources(policy, {policy.source})
    return policy


@cache
def hasher() -> PasswordHasher:
    """argon2id with the policy's cost; hashes made with another cost are rehashed at log-in."""
    policy = load_policy()
    return PasswordHasher(
        time_cost=policy.argon2_time_cost,
        memory_cost=policy.argon2_memory_kib,
        parallelism=policy.argon2_parallelism,
    )


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the user name is unknown, so both take the same time."""
    return hasher().hash(secrets.token_hex(16))


def sha256_hex(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_username(value: str, field: str = "username") -> str:
    name = value.strip()
    if not USERNAME_PATTERN.fullmatch(name):
        raise ValidationError(field, f"{value!r} is not a valid user name ({USERNAME_RULE})")
    return name


def check_role(value: str, field: str = "role") -> str:
    role = value.strip().lower()
    if role not in ROLES:
        raise ValidationError(field, f"unknown role {value!r}; expected one of: {', '.join(ROLES)}")
    return role


def check_password(value: str, field: str = "password") -> str:
    policy = load_policy()
    check_text(value, field, max_length=policy.password_max_chars)
    if len(value) < policy.password_min_chars:
        raise ValidationError(
            field, f"at least {policy.password_min_chars} characters are needed, {len(value)} given"
        )
    return value


def account_view(account: Account) -> dict[str, Any]:
    """An account without its password hash."""
    return record(account, exclude=("password_hash",))


def account_by_username(db: Session, username: str, field: str = "username") -> Account:
    account = db.scalar(select(Account).where(Account.username == username.strip()))
    if account is None:
        raise NotFoundError("account", username)
    return account


def create_account(db: Session, *, username: str, password: str, role: str) -> dict[str, Any]:
    """Add an account; user names are unique."""
    name = check_username(username)
    role = check_role(role)
    check_password(password)
    if db.scalar(select(func.count()).select_from(Account).where(Account.username == name)):
        raise ValidationError("username", f"account {name!r} already exists")
    account = Account(username=name, password_hash=hasher().hash(password), role=role)
    db.add(account)
    db.flush()
    return account_view(account)


def list_accounts(db: Session) -> list[dict[str, Any]]:
    return [account_view(a) for a in db.scalars(select(Account).order_by(Account.username))]


def set_active(db: Session, *, username: str, active: bool) -> dict[str, Any]:
    """Disable (or enable again) an account; disabling ends its log-in sessions at once."""
    account = account_by_username(db, username)
    account.active = active
    if not active:
        now = utcnow()
        for row in db.scalars(
            select(LoginSession).where(
                LoginSession.account_id == account.id, LoginSession.revoked_at.is_(None)
            )
        ):
            row.revoked_at = now
    db.flush()
    return account_view(account)


def set_password(db: Session, *, username: str, password: str) -> dict[str, Any]:
    """A new password; lifts a lock-out."""
    account = account_by_username(db, username)
    check_password(password)
    account.password_hash = hasher().hash(password)
    account.failed_logins = 0
    account.locked_until = None
    db.flush()
    return account_view(account)


def _locked(account: Account, now: datetime) -> bool:
    return account.locked_until is not None and account.locked_until > now


def authenticate(
    db: Session, *, username: str, password: str, now: datetime | None = None
) -> Account:
    """The account whose user name and password these are, or ``LoginRefused``.

    After ``max_failed_logins`` failures in a row the account is locked for ``lockout_minutes``;
    while locked even the right password is refused. The failure count is written by the caller's
    transaction, so the caller commits even when this raises (see ``record_login``).
    """
    policy = load_policy()
    now = now or utcnow()
    account = db.scalar(select(Account).where(Account.username == username.strip()))
    if account is None or not isinstance(password, str) or len(password) > 4096:
        _verify(_dummy_hash(), "x")
        raise LoginRefused("wrong user name or password")
    if _locked(account, now):
        raise LoginRefused(
            f"account locked after {policy.max_failed_logins} failed log-ins; "
            f"try again after {account.locked_until:%H:%M} UTC or ask an administrator"
        )
    if not account.active or not _verify(account.password_hash, password):
        account.failed_logins += 1
        if account.failed_logins >= policy.max_failed_logins:
            account.locked_until = now + timedelta(minutes=policy.lockout_minutes)
            account.failed_logins = 0
        db.flush()
        raise LoginRefused("wrong user name or password")
    if account.failed_logins or account.locked_until is not None:
        account.failed_logins = 0
        account.locked_until = None
    if hasher().check_needs_rehash(account.password_hash):
        account.password_hash = hasher().hash(password)
    db.flush()
    return account


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class NewSession:
    """A log-in session just started: the cookie value and CSRF token (shown once, never stored
    in clear for the cookie)."""

    cookie: str
    csrf_token: str
    expires_at: datetime
    account_id: int


def start_session(db: Session, account: Account, now: datetime | None = None) -> NewSession:
    """Open a server-side log-in session for ``account``."""
    now = now or utcnow()
    cookie = secrets.token_urlsafe(TOKEN_BYTES)
    csrf = secrets.token_urlsafe(TOKEN_BYTES)
    expires = now + timedelta(hours=load_policy().session_hours)
    db.add(
        LoginSession(
            account_id=account.id,
            cookie_sha256=sha256_hex(cookie),
            csrf_token=csrf,
            created_at=now,
            expires_at=expires,
        )
    )
    db.flush()
    return NewSession(cookie, csrf, expires, account.id)


def session_for_cookie(
    db: Session, cookie: str, now: datetime | None = None
) -> LoginSession | None:
    """The live session of this cookie value (its account active), else None."""
    if not cookie or len(cookie) > 256:
        return None
    now = now or utcnow()
    row = db.scalar(
        select(LoginSession)
        .where(LoginSession.cookie_sha256 == sha256_hex(cookie))
        .options(joinedload(LoginSession.account))
    )
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if not row.account.active:
        return None
    return row


def end_session(db: Session, cookie: str) -> None:
    """Log out: the session of this cookie ends now."""
    row = session_for_cookie(db, cookie)
    if row is not None:
        row.revoked_at = utcnow()
        db.flush()


def create_token(db: Session, *, username: str, name: str) -> dict[str, Any]:
    """A new personal API token; its value is in the result once and never again."""
    account = account_by_username(db, username)
    label = check_text(name.strip(), "name", max_length=64)
    if not label:
        raise ValidationError("name", "a token needs a name (what script uses it)")
    value = "mn_" + secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken(account_id=account.id, name=label, token_sha256=sha256_hex(value))
    db.add(token)
    db.flush()
    return token_view(token) | {"token": value}


def token_view(token: ApiToken) -> dict[str, Any]:
    return record(token, exclude=("token_sha256", "account_id")) | {
        "username": token.account.username
    }


def list_tokens(db: Session, *, username: str | None = None) -> list[dict[str, Any]]:
    query = select(ApiToken).order_by(ApiToken.id)
    if username is not None:
        query = query.where(ApiToken.account_id == account_by_username(db, username).id)
    return [token_view(t) for t in db.scalars(query)]


def revoke_token(db: Session, *, token_id: int) -> dict[str, Any]:
    token = db.get(ApiToken, token_id)
    if token is None:
        raise NotFoundError("API token", token_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.flush()
    return token_view(token)


def _live_token(db: Session, value: str) -> ApiToken | None:
    if not value or len(value) > 256:
        return None
    token = db.scalar(
        select(ApiToken)
        .where(ApiToken.token_sha256 == sha256_hex(value))
        .options(joinedload(ApiToken.account))
    )
    if token is None or token.revoked_at is not None or not token.account.active:
        return None
    return token


def token_touch_due(db: Session, value: str, now: datetime | None = None) -> bool:
    """Whether the token's "last used" time is older than ``token_touch_minutes``."""
    token = _live_token(db, value)
    if token is None:
        return False
    touch = timedelta(minutes=load_policy().token_touch_minutes)
    return token.last_used_at is None or (now or utcnow()) - token.last_used_at >= touch


def account_for_token(
    db: Session, value: str, now: datetime | None = None, *, touch: bool = True
) -> Account | None:
    """The active account whose live token this is, else None; with ``touch``, notes when it was
    last used (at most every ``token_touch_minutes``, so scripts do not write on every request)."""
    token = _live_token(db, value)
    if token is None:
        return None
    if touch and token_touch_due(db, value, now):
        token.last_used_at = now or utcnow()
        db.flush()
    return token.account

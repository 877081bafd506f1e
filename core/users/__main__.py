"""Manage console users from the server's shell: ``python -m core.users COMMAND``.

    add --email E --name N --role ROLE [--password-stdin]
    deactivate --email E | activate --email E
    set-role --email E --role ROLE
    reset-password --email E --password-stdin
    list
    sign-in-help
    token --email E [--name LABEL] [--expires-days N]
    tokens [--email E] | revoke-token --id N

``token`` prints a new API bearer token for the user on standard output, once: only its
hash is stored, so a lost token is revoked and replaced, never recovered.

Shell access to the server is the trust here (like Django's createsuperuser): the audit
log records these changes with no console actor and a comment naming the OS user.
Passwords are read from standard input, never from arguments (they would show in ps
and in the shell history). Bad input: one line on stderr, exit code 2, nothing changed.
"""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
from typing import Any

from sqlalchemy import select

EXIT_BAD_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core.users", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="add an active user")
    add.add_argument("--email", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True)
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    for name, help_text in (("deactivate", "deactivate a user"), ("activate", "reactivate one")):
        one = sub.add_parser(name, help=help_text)
        one.add_argument("--email", required=True)
    role = sub.add_parser("set-role", help="change a user's role")
    role.add_argument("--email", required=True)
    role.add_argument("--role", required=True)
    reset = sub.add_parser("reset-password", help="set a user's password (from stdin)")
    reset.add_argument("--email", required=True)
    reset.add_argument("--password-stdin", action="store_true", required=True)
    token = sub.add_parser("token", help="issue an API token to a user (printed once)")
    token.add_argument("--email", required=True)
    token.add_argument("--name", default="command line", help="what the token is for")
    token.add_argument("--expires-days", type=_days, default=None)
    tokens = sub.add_parser("tokens", help="API tokens (hints only), newest first")
    tokens.add_argument("--email", default=None)
    revoke = sub.add_parser("revoke-token", help="revoke an API token now")
    revoke.add_argument("--id", type=int, required=True, dest="token_id")
    sub.add_parser("list", help="every user, with role and state")
    sub.add_parser("sign-in-help", help="how to sign in to this console")
    return parser


def _days(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a whole number of days, got {raw!r}") from None


def _read_password() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    return sys.stdin.readline().rstrip("\r\n")


def _comment() -> str:
    try:
        who = getpass.getuser()
    except Exception:  # no login name in some containers
        who = "unknown"
    return f"command line: {who}@{socket.gethostname()}"[:200]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from core.config import ConfigError, demo_accounts_path_for, get_settings
    from core.db import DATABASE_ERRORS, DatabaseUnavailable, read_session, write_unit
    from core.errors import DomainError
    from core.schema import ConsoleUser
    from core.users import add_user, change_user, set_password
    from core.users.demo import sign_in_help

    failures: tuple[type[Exception], ...] = (ConfigError, DatabaseUnavailable, *DATABASE_ERRORS)
    try:
        settings = get_settings()
        if args.command == "sign-in-help":
            path = demo_accounts_path_for(settings.database_url, data_dir=settings.data_dir)
            print(sign_in_help(path, url=_console_url()))
            return 0
        if args.command == "list":
            with read_session() as session:
                users = session.scalars(select(ConsoleUser).order_by(ConsoleUser.email)).all()
            for user in users:
                state = "active" if user.active else "inactive"
                login = "password" if user.password_hash else "sso only"
                print(f"{user.email}\t{user.full_name}\t{user.role}\t{state}\t{login}")
            return 0
        comment = _comment()
        if args.command == "token":
            return _issue_token(args, comment, write_unit)
        if args.command == "tokens":
            return _list_tokens(args.email, read_session)
        if args.command == "revoke-token":
            from core.auth.api_tokens import revoke_api_token

            with write_unit() as session:
                revoke_api_token(
                    session=session, token_id=args.token_id, actor_id=None, comment=comment
                )
            print(f"core.users: revoke-token #{args.token_id}: done")
            return 0
        with write_unit() as session:
            if args.command == "add":
                password = _read_password() if args.password_stdin else None
                add_user(
                    session=session,
                    email=args.email,
                    name=args.name,
                    role=args.role,
                    password=password,
                    actor_id=None,
                    comment=comment,
                )
            elif args.command in {"deactivate", "activate"}:
                change_user(
                    session=session,
                    email=args.email,
                    active=args.command == "activate",
                    actor_id=None,
                    comment=comment,
                )
            elif args.command == "set-role":
                change_user(
                    session=session,
                    email=args.email,
                    role=args.role,
                    actor_id=None,
                    comment=comment,
                )
            elif args.command == "reset-password":
                set_password(
                    session=session,
                    email=args.email,
                    password=_read_password(),
                    actor_id=None,
                    comment=comment,
                )
    except DomainError as exc:
        print(f"core.users: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except failures as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"core.users: {first}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"core.users: {args.command} {args.email}: done")
    return 0


def _issue_token(args: argparse.Namespace, comment: str, write_unit: Any) -> int:
    from core.auth.api_tokens import ApiTokenError, issue_api_token
    from core.i18n import N_
    from core.users import find_user

    with write_unit() as session:
        user = find_user(session=session, email=args.email)
        if user is None:
            raise ApiTokenError(
                N_("No console user has the e-mail {email}."), "email", email=args.email
            )
        issued = issue_api_token(
            session=session,
            user_id=user.id,
            name=args.name,
            expires_days=args.expires_days,
            actor_id=None,
            comment=comment,
        )
    expires = issued.expires_at.isoformat(timespec="minutes") if issued.expires_at else "never"
    # The token alone on stdout (a script can capture it); the note on stderr.
    print(issued.token)
    print(
        f"core.users: token #{issued.token_id} for {args.email} (expires: {expires}); "
        "it is not stored and will not be shown again",
        file=sys.stderr,
    )
    return 0


def _list_tokens(email: str | None, read_session: Any) -> int:
    from core.auth.api_tokens import ApiTokenError, list_api_tokens
    from core.clock import now
    from core.i18n import N_
    from core.users import find_user

    with read_session() as session:
        user_id = None
        if email is not None:
            user = find_user(session=session, email=email)
            if user is None:
                raise ApiTokenError(
                    N_("No console user has the e-mail {email}."), "email", email=email
                )
            user_id = user.id
        tokens = list_api_tokens(session=session, user_id=user_id)
    at = now()

    def stamp(moment: Any) -> str:
        return moment.isoformat(timespec="minutes") if moment is not None else "-"

    for info in tokens:
        # The label is user-written: tabs and newlines would break the columns.
        label = " ".join(info.name.split())
        print(
            f"{info.token_id}\t{info.email}\t{label}\t{info.hint}...\t{info.state(at)}"
            f"\tcreated {stamp(info.created_at)}\texpires {stamp(info.expires_at)}"
            f"\tlast used {stamp(info.last_used_at)}"
        )
    return 0


def _console_url() -> str:
    import os

    host = os.environ.get("BARBERPRO_HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8501")
    return f"http://{'localhost' if host in {'127.0.0.1', '0.0.0.0'} else host}:{port}"


if __name__ == "__main__":
    sys.exit(main())

"""`anchang` operator commands: migrate, declare queues, create users, load demo data."""
import argparse
import os
import sys

from infra import config
from infra.migrations import DATABASE_OWNERS, upgrade


def main(argv=None):
    parser = argparse.ArgumentParser(prog="anchang")
    commands = parser.add_subparsers(dest="command", required=True)
    migrate = commands.add_parser("migrate", help="upgrade every database (or the named ones)")
    migrate.add_argument("owners", nargs="*", help=", ".join(DATABASE_OWNERS))
    commands.add_parser("declare", help="declare every consumer queue before producers run")
    user = commands.add_parser("create-user", help="add a gateway user")
    user.add_argument("username")
    user.add_argument("password")
    user.add_argument("role")
    user.add_argument("--consultant-id", type=int)
    demo = commands.add_parser("demo-data", help="load a demo office, project and users")
    demo.add_argument("--gateway", default="http://127.0.0.1:8000")
    args = parser.parse_args(argv)

    if args.command == "migrate":
        for owner in args.owners or DATABASE_OWNERS:
            upgrade(owner)
            print(f"migrated {owner}")
    elif args.command == "declare":
        from infra.topology import declare_all
        for queue in declare_all(config.amqp_uri()):
            print(f"declared {queue}")
    elif args.command == "create-user":
        create_user(args.username, args.password, args.role, args.consultant_id)
        print(f"created {args.username} ({args.role})")
    elif args.command == "demo-data":
        from gateway.demo import load_demo
        load_demo(args.gateway, os.environ.get("ANCHANG_ADMIN_PASSWORD", "admin-password"))
    return 0


def create_user(username, password, role, consultant_id=None):
    from sqlalchemy.orm import Session

    from gateway.auth import create_user as add_user
    from infra.database import make_engine

    engine = make_engine(config.database_url("gateway"))
    with Session(engine) as session:
        add_user(session, username, password, role, consultant_id)
        session.commit()
    engine.dispose()


if __name__ == "__main__":
    sys.exit(main())

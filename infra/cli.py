"""`anchang` operator commands: migrate, declare queues, create users, load demo data, list
and replay dead letters."""
import argparse
import json
import os
import sys

from contracts.operations import CONSUMING_SERVICES, DEAD_LETTER_STATUSES
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
    letters = commands.add_parser("dead-letters", help="list or replay dead letters (by RPC "
                                                       "to the running services)")
    letter_commands = letters.add_subparsers(dest="action", required=True)
    listing = letter_commands.add_parser("list", help="one JSON line per dead letter")
    listing.add_argument("--service", choices=CONSUMING_SERVICES)
    listing.add_argument("--status", choices=DEAD_LETTER_STATUSES, default="dead")
    listing.add_argument("--limit", type=int, default=100)
    replaying = letter_commands.add_parser("replay", help="put dead letters back on the "
                                                          "service's events queue")
    replaying.add_argument("service", choices=CONSUMING_SERVICES)
    which = replaying.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", type=int, action="append", dest="ids")
    which.add_argument("--all", action="store_true")
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
    elif args.command == "dead-letters":
        return dead_letters(args)
    return 0


def dead_letters(args) -> int:
    from nameko.standalone.rpc import ClusterRpcProxy

    rpc_config = {"AMQP_URI": config.amqp_uri()}
    with ClusterRpcProxy(rpc_config, timeout=config.rpc_timeout_seconds()) as cluster:
        if args.action == "list":
            services = [args.service] if args.service else CONSUMING_SERVICES
            for service in services:
                for letter in getattr(cluster, service).list_dead_letters(
                        {"status": args.status, "limit": args.limit}):
                    print(json.dumps({"service": service, **letter}, ensure_ascii=False))
        else:
            payload = {"all": True} if args.all else {"ids": args.ids}
            result = getattr(cluster, args.service).replay_dead_letters(payload)
            print(f"replayed {len(result['replayed'])} dead letter(s) of {args.service}: "
                  f"{result['replayed']}")
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

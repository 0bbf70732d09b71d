"""`anchang` operator commands: migrate, declare queues, list and replay dead letters; each
layer above adds its own (the gateway: create-user, demo-data) through the `anchang.commands`
entry point group, so this shared layer imports none of them."""
import argparse
import json
import sys
from importlib.metadata import entry_points

from contracts.operations import CONSUMING_SERVICES, DEAD_LETTER_STATUSES
from infra import config
from infra.migrations import DATABASE_OWNERS, upgrade


COMMANDS_GROUP = "anchang.commands"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="anchang")
    commands = parser.add_subparsers(dest="command", required=True)
    migrate = commands.add_parser("migrate", help="upgrade every database (or the named ones)")
    migrate.add_argument("owners", nargs="*", help=", ".join(DATABASE_OWNERS))
    commands.add_parser("declare", help="declare every consumer queue before producers run")
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
    for plugin in entry_points(group=COMMANDS_GROUP):
        plugin.load()(commands)  # adds its sub-commands, each with set_defaults(run=...)
    args = parser.parse_args(argv)
    if hasattr(args, "run"):
        return args.run(args)

    if args.command == "migrate":
        for owner in args.owners or DATABASE_OWNERS:
            upgrade(owner)
            print(f"migrated {owner}")
    elif args.command == "declare":
        from infra.topology import declare_all
        for queue in declare_all(config.amqp_uri()):
            print(f"declared {queue}")
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


if __name__ == "__main__":
    sys.exit(main())

"""The gateway's `anchang` commands: create a user, load demo data. Registered through the
`anchang.commands` entry point (pyproject.toml), so the shared CLI never imports the gateway."""
import os
import sys

from contracts.errors import InvalidInput
from infra import config

DEMO_ADMIN_PASSWORD = "anchang-demo-key"


def register(commands) -> None:
    user = commands.add_parser("create-user", help="add a gateway user (the password policy "
                                                   "applies)")
    user.add_argument("username")
    user.add_argument("password")
    user.add_argument("role")
    user.add_argument("--consultant-id", type=int)
    user.add_argument("--office-id", type=int, action="append", dest="office_ids", default=[])
    user.add_argument("--project-id", type=int, action="append", dest="project_ids",
                      default=[])
    user.set_defaults(run=_create_user)
    demo = commands.add_parser("demo-data", help="load a demo office, project and users")
    demo.add_argument("--gateway", default="http://127.0.0.1:8000")
    demo.set_defaults(run=_demo_data)


def _create_user(args) -> int:
    try:
        create_user(args.username, args.password, args.role, args.consultant_id,
                    args.project_ids, args.office_ids)
    except InvalidInput as exc:
        problems = "; ".join(f"{field}: {', '.join(reasons)}"
                             for field, reasons in exc.details.items())
        print(f"{exc.message}: {problems}", file=sys.stderr)
        return 2
    print(f"created {args.username} ({args.role})")
    return 0


def _demo_data(args) -> int:
    from gateway.demo import load_demo
    load_demo(args.gateway, os.environ.get("ANCHANG_ADMIN_PASSWORD", DEMO_ADMIN_PASSWORD))
    return 0


def create_user(username, password, role, consultant_id=None, project_ids=(), office_ids=()):
    """A user in the gateway's database, the password policy checked; audited as done by the
    operator's command."""
    from sqlalchemy.orm import Session

    from gateway import auth
    from infra.database import make_engine

    auth.check_password_policy(username, password)
    engine = make_engine(config.database_url("gateway"))
    try:
        with Session(engine) as session:
            user = auth.create_user(session, username, password, role, consultant_id,
                                    project_ids, office_ids)
            auth.audit(session, None, "anchang create-user", "user.created", f"user:{user.id}",
                       details={"role": role, "consultant_id": consultant_id,
                                "project_ids": list(project_ids),
                                "office_ids": list(office_ids)})
            session.commit()
    finally:
        engine.dispose()

"""The published contract: a property-based run (schemathesis) of every operation of the
OpenAPI document against the running suite, with a fixed seed and a bounded number of cases:
no answer is a 5xx, and no answer contradicts the document (status, content type, schema)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

SEED = 20261130
# The coverage phase sends each operation's boundary and invalid values (about 5,300 cases,
# three minutes here); the fuzzing phase then a few random valid and invalid ones each.
PHASES = "examples,coverage,fuzzing"
MAX_EXAMPLES = 3  # per operation in the fuzzing phase
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance")
# Sessions and users are left out: random logins would throttle every later login from this
# address, and random user changes or logouts would end the other tests' sessions.
LEFT_OUT = r"^/api/v1/(auth/|admin/users)"


@pytest.mark.timeout(900)
def test_every_operation_answers_as_the_document_says(suite, tmp_path):
    runner = suite.add_user("contract-runner", "admin")
    report = tmp_path / "report.ndjson"
    command = [str(Path(sys.executable).with_name("st")), "run",
               f"{suite.base_url}/api/v1/openapi.json", "--url", suite.base_url,
               "--header", f"Authorization: {runner.http.headers['Authorization']}",
               "--exclude-path-regex", LEFT_OUT,
               "--seed", str(SEED), "--max-examples", str(MAX_EXAMPLES),
               "--phases", PHASES, "--checks", ",".join(CHECKS),
               "--generation-database", "none", "--workers", "1", "--request-timeout", "30",
               "--no-color", "--output-truncate", "false", "--report", "ndjson",
               "--report-ndjson-path", str(report)]
    # one worker: two threads parsing lambdas' source at once (hypothesis describing a filter)
    # trip CPython 3.11's "AST constructor recursion depth mismatch" SystemError
    # in tmp_path: schemathesis keeps a cache of its own in the working directory
    run = subprocess.run(command, capture_output=True, text=True, timeout=840, cwd=tmp_path)
    operations, cases = _counts(report)
    print(f"schemathesis: {operations} operations, {cases} test cases")
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    assert operations >= 80


def _counts(report: Path) -> tuple[int, int]:
    """Operations and test cases of the run, from its NDJSON event stream."""
    operations, cases = set(), 0
    if not report.exists():
        return 0, 0
    for line in report.read_text().splitlines():
        event = json.loads(line)
        for kind, body in event.items():
            if kind == "ScenarioFinished" and isinstance(body, dict):
                label = body.get("recorder", {}).get("label")
                if label:
                    operations.add(label)
                cases += len(body.get("recorder", {}).get("cases", {}))
    return len(operations), cases

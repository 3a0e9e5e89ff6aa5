"""Property 10, deeper: sequences of calls linked through what earlier answers returned.

schemathesis infers links between operations from the schema (a slug or id a POST
answers feeds the `{slug}` or `{id}` of later GETs, PATCHes and DELETEs) and runs
short sequences of them with a real token, so that a PATCH reaches an object that
exists. No answer may be a 5xx. This phase found a person's `DELETE /api/v1/actors/{handle}/`
answering 500 while the person owned a project (a person now goes only through the account's
erasure). About 25 s; FUZZ_STATEFUL_EXAMPLES=100 digs deeper by hand.
"""

import collections
import os

from django.db import transaction
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error

from tests.security.test_schema_fuzz import keep_test_connection, schema, token  # noqa: F401 (fixtures)

EXAMPLES = int(os.environ.get("FUZZ_STATEFUL_EXAMPLES", "20"))
STEPS = int(os.environ.get("FUZZ_STATEFUL_STEPS", "8"))


def test_linked_sequences_of_calls_never_answer_a_5xx(token):  # noqa: F811
    links = schema.as_state_machine()
    calls = collections.Counter()

    class Workflow(links):
        # Each scenario starts from the same data: its answers then follow from its own
        # calls alone, as Hypothesis expects when it replays a scenario (otherwise a
        # DELETE in one scenario empties a bundle the replay of another one drew from).
        def setup(self):
            self.scenario = transaction.atomic()
            self.scenario.__enter__()

        def teardown(self):
            transaction.set_rollback(True)
            self.scenario.__exit__(None, None, None)

        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Token {token}"}}

        def validate_response(self, response, case, additional_checks=(), **kwargs):
            calls[(case.method, case.path, response.status_code)] += 1
            case.validate_response(response, checks=[not_a_server_error])

    assert Workflow.bundles, "schemathesis found no links between operations"
    Workflow.run(settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, derandomize=True, database=None,
        phases=[Phase.generate], suppress_health_check=list(HealthCheck),
    ))
    assert calls, "no sequence ran"

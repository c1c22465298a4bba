"""The applications tests' fixtures (the demo team, a complete draft of the demo applicant's), for the tests of
what the dishonest-entity list does to the workflow."""

from tests.applications.test_workflow import body, fresh, new_application, people, product, team  # noqa: F401

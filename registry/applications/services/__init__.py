"""The operations on applications, one module per side of the file:

- ``applicant``: drafting an application and its footprint data, submitting, withdrawing, answering findings
  and appealing;
- ``documents``: storing the uploaded documents safely;
- ``review``: the certification body's review, the verifier team and conflict-of-interest declarations;
- ``evaluation``: the verifier's checklist, findings, statement and recommendation;
- ``decisions``: decisions on the file and on appeals.

The state machine (``registry.applications.workflow``) and what each transition requires
(``registry.applications.checks``) stay beside this package. Import the modules themselves
(``from registry.applications.services import review``); this package re-exports nothing.
"""

"""The label verifier: one implementation, used as a Python module, by ``flask labels verify`` and by
``POST /api/v1/verify``.

It needs only ``cbor2`` and ``cryptography`` (no Flask, no database), so anyone can run it offline against a
saved trust list and saved status lists::

    from registry.verifier import TrustList, StatusLists, verify
    trust = TrustList.from_document(json.load(open("label-trust-list.json")), root_key=pinned_root_jwk)
    lists = StatusLists.from_credentials([open("revocation-0.jwt").read(), open("suspension-0.jwt").read()], trust)
    result = verify("https://cfp.example.cn/01/06901234567892#L1.0oRDoQEm…", trust, lists)
    result.verdict, result.message("zh_CN")
"""

from registry.verifier.core import Result, StatusLists, TrustList, Verdict, verify

__all__ = ["Result", "StatusLists", "TrustList", "Verdict", "verify"]

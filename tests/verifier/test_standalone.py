"""The verifier runs where only cbor2 and cryptography are installed, as third parties run it offline
(docs/architecture.md, docs/signed-labels.md): a fresh virtual environment holding just those two (and what they
need themselves) imports ``registry.verifier`` from the repository and verifies the pinned test vector."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from registry import PROJECT_ROOT
from tests.verifier.test_format import SCALAR, TOKEN

# Runs in the bare environment: the verdicts of the test vector, and any module of the registry loaded beyond the
# verifier (which would tie it to what the rest of the package needs).
SCRIPT = """
import json, sys
from importlib.util import find_spec

import registry.verifier
import registry.verifier.sources
from cryptography.hazmat.primitives.asymmetric import ec
from registry.verifier import TrustList, verify
from registry.verifier import format as fmt
from registry.verifier.core import TrustedKey

scalar, token = int(sys.argv[1]), sys.argv[2]
key = ec.derive_private_key(scalar, ec.SECP256R1()).public_key()
kid = fmt.kid_for(key)
trust = TrustList(
    keys={kid: TrustedKey(kid=kid, key=key, body_code="HTDEMO", body_name={"en": "Demo", "zh_CN": "示范"},
                          sign_from=0, sign_until=2**32, verify_until=2**32, revoked_at=None)},
    issued_at=0, issuer="https://cfp.example.cn", root_key=key, hosts=("cfp.example.cn",),
)
scanned = "https://cfp.example.cn/01/06901234567892#L1." + token
print(json.dumps({
    "flask_installed": find_spec("flask") is not None,
    "valid": verify(scanned, trust, None, now=1795392001).verdict.value,
    "expired": verify(scanned, trust, None, now=1890086400).verdict.value,
    "other_registry_modules": sorted(
        name for name in sys.modules
        if name.startswith("registry.") and not (name + ".").startswith("registry.verifier.")
    ),
}))
"""


def bare_python(folder: Path) -> Path:
    """A virtual environment with only cbor2 and cryptography, at the versions the registry itself runs with."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    pins = [f"{name}=={version(name)}" for name in ("cbor2", "cryptography")]
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *pins,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if installed.returncode:
        message = f"pip could not install {' '.join(pins)} into a fresh virtual environment:\n{installed.stderr}"
        if os.environ.get("REGISTRY_STRICT_SYSTEM_DEPS"):
            pytest.fail(message)
        pytest.skip(message)
    return python


def test_the_verifier_needs_only_cbor2_and_cryptography(tmp_path: Path) -> None:
    python = bare_python(tmp_path / "venv")
    ran = subprocess.run(
        [str(python), "-s", "-c", SCRIPT, str(SCALAR), TOKEN],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(PROJECT_ROOT)},
    )
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout) == {
        "flask_installed": False,
        "valid": "valid",
        "expired": "expired",
        "other_registry_modules": [],
    }

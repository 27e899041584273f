"""``rounds token`` prints a token the gateway accepts, with the relationships asked for."""

from __future__ import annotations

from pathlib import Path

import jwt
from typer.testing import CliRunner

from rounds.auth.issuer import BUILTIN_ISSUER, load_or_create_signing_key
from rounds.cli import app


def claims_of(token: str, data_dir: Path) -> dict[str, object]:
    key = load_or_create_signing_key(data_dir).private_key.public_key()
    decoded: dict[str, object] = jwt.decode(
        token, key, algorithms=["ES256"], audience="rounds-api", issuer=BUILTIN_ISSUER
    )
    return decoded


def test_a_coordinator_token_names_their_localities(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "token",
            "--role",
            "coordinator",
            "--locality",
            "Harrogate",
            "--locality",
            "Ripon",
            "--data-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    claims = claims_of(result.output.strip(), tmp_path)
    assert claims["role"] == "coordinator"
    assert claims["localities"] == ["Harrogate", "Ripon"]
    assert int(str(claims["exp"])) - int(str(claims["iat"])) == 3600


def test_a_key_person_token_carries_consent_per_individual(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "token",
            "--role",
            "key_person",
            "--individual-id",
            "I1",
            "--consent",
            "schedule",
            "--data-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    claims = claims_of(result.output.strip(), tmp_path)
    assert claims["consents"] == {"I1": ["schedule"]}
    assert "individual_ids" not in claims


def test_a_care_worker_token_is_for_their_worker_id(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["token", "--role", "care_worker", "--worker-id", "w-42", "--data-dir", str(tmp_path)]
    )
    claims = claims_of(result.output.strip(), tmp_path)
    assert claims["worker_id"] == "w-42"
    assert claims["sub"] == "w-42"


def test_an_unknown_role_is_refused_with_the_choices(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["token", "--role", "chef", "--data-dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "registered_manager" in result.output

"""One upload limit: Streamlit's server.maxUploadSize is the app's own (core.security.uploads)."""

from __future__ import annotations

import tomllib

from core.config import PROJECT_ROOT
from core.security.uploads import MAX_UPLOAD_BYTES, MAX_UPLOAD_MB, upload_limit_problem
from core.workflows.onboarding import importer


def test_streamlit_config_max_upload_size_is_the_apps_limit():
    with (PROJECT_ROOT / ".streamlit" / "config.toml").open("rb") as handle:
        config = tomllib.load(handle)
    # Streamlit counts megabytes as MiB (maxUploadSize * 1024 * 1024).
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB
    assert MAX_UPLOAD_BYTES == MAX_UPLOAD_MB * 2**20 == importer.MAX_UPLOAD_BYTES


def test_no_deploy_command_overrides_it():
    for path in (PROJECT_ROOT / "deploy").rglob("*"):
        if path.is_file():
            assert "maxUploadSize" not in path.read_text(errors="ignore"), path


def test_production_refuses_another_limit():
    assert upload_limit_problem(MAX_UPLOAD_MB) is None
    assert upload_limit_problem(200) == (
        "server.maxUploadSize must be 10 (MB, the app's upload limit, "
        "core.security.uploads.MAX_UPLOAD_MB); it is 200"
    )
    serve = (PROJECT_ROOT / "serve.py").read_text()
    assert 'upload_limit_problem(st.get_option("server.maxUploadSize"))' in serve

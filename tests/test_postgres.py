"""The same schema, migrations, storage and coding service on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from qualcode import services
from qualcode.core import Attribute, AttrType, Suggestion
from qualcode.errors import StorageError
from qualcode.services import coding
from qualcode.storage import Database, audit, documents, meta
from qualcode.storage import codes as code_store
from qualcode.storage import coding as store
from qualcode.storage.db import current_revision, head_revision
from qualcode.storage.models import Base
from tests.conftest import make_document, small_codebook
from tests.pg_helpers import db_url, find_pg_bin, pg_server  # noqa: F401


def test_migrations_build_the_whole_schema(db_url):  # noqa: F811
    db = Database(db_url)
    try:
        assert current_revision(db.engine) == head_revision()
        insp = inspect(db.engine)
        assert set(Base.metadata.tables) <= set(insp.get_table_names())
        for name, table in Base.metadata.tables.items():
            cols = {c["name"] for c in insp.get_columns(name)}
            assert {c.name for c in table.columns} == cols, name
        uniques = {tuple(u["column_names"]) for u in insp.get_unique_constraints("codings")}
        assert ("excerpt_id", "code_id", "coder_id", "start", "end") in uniques
        assert Database(db_url).backup is None  # opening again: nothing to migrate
    finally:
        db.close()


def test_round_trip_document_codebook_settings(db_url):  # noqa: F811
    ctx = services.init_project(None, db_url=db_url, coder="alice")
    try:
        doc = make_document("Interview 1")
        doc.attributes["year"] = Attribute("year", "2021", AttrType.INTEGER)
        with ctx.session() as s:
            doc_id = documents.add_document(s, doc)
            meta.set_setting(s, "x", {"nested": [1, 2, "é"]})
        with ctx.session(readonly=True) as s:
            back = documents.load_document(s, doc_id)
            assert meta.get_setting(s, "x") == {"nested": [1, 2, "é"]}
            cb = code_store.load_codebook(s)
        assert back.text == doc.text and back.attributes["year"].type is AttrType.INTEGER
        assert [(e.start, e.end, e.text) for e in back.excerpts] == [(e.start, e.end, e.text) for e in doc.excerpts]
        for e in back.excerpts:
            assert back.text[e.start:e.end] == e.text
        assert len(cb.codes) > 5 and services.project_status(ctx)["documents"] == 1
        with pytest.raises(Exception):  # a duplicate document is refused whole
            with ctx.session() as s:
                documents.add_document(s, make_document("again"))
        assert services.project_status(ctx)["documents"] == 1
        with pytest.raises(StorageError, match="already holds"):
            services.init_project(None, db_url=db_url)
    finally:
        ctx.close()


def test_small_codebook_round_trip(db_url, tmp_path):  # noqa: F811
    db = Database(db_url)
    try:
        with db.session() as s:
            code_store.save_codebook(s, small_codebook())
        with db.session(readonly=True) as s:
            cb = code_store.load_codebook(s)
        assert [c.id for c in cb.codes] == [c.id for c in small_codebook().codes]
        assert cb.get("trust").parent == "relationships" and cb.get("relationships").codable is False
    finally:
        db.close()


def test_coding_service_accept_reject_undo(db_url):  # noqa: F811
    ctx = services.init_project(None, db_url=db_url, coder="alice")
    try:
        with ctx.session() as s:
            doc_id = documents.add_document(s, make_document())
            ex = documents.load_document(s, doc_id).excerpts
            store.upsert_suggestions(s, [
                Suggestion(excerpt_id=ex[1].id, code_id="trust", score=0.8, model_id="m", explanation={"why": ["x"]}),
                Suggestion(excerpt_id=ex[2].id, code_id="buy_in", score=0.6, model_id="m"),
            ])
            sid = {sg.code_id: sg.id for sg in store.list_suggestions(s, document_id=doc_id)}
        cid = coding.accept_suggestion(ctx, sid["trust"])
        coding.reject_suggestion(ctx, sid["buy_in"])
        coding.add_coding(ctx.as_coder("bob"), ex[1].id, "trust", start=ex[1].start, end=ex[1].start + 5)
        with ctx.session(readonly=True) as s:
            codings = store.list_codings(s, document_id=doc_id)
            sugg = {sg.code_id: sg for sg in store.list_suggestions(s, document_id=doc_id)}
            assert [e.action for e in audit.list_events(s)] == ["code", "reject", "accept"]
        assert [(c.id, c.coder, c.origin.value) for c in codings][0] == (cid, "alice", "suggestion")
        assert sugg["trust"].status.value == "accepted" and sugg["trust"].explanation == {"why": ["x"]}
        assert sugg["buy_in"].status.value == "rejected" and sugg["buy_in"].decided_by == "alice"
        assert [u["action"] for u in coding.undo(ctx, 5)] == ["reject", "accept"]
        with ctx.session(readonly=True) as s:
            assert [c.coder for c in store.list_codings(s)] == ["bob"]
            # alice's verdicts are gone; bob's coding of trust settled that suggestion for him
            # after alice's accept, and his verdict stands on the row (undo takes back alice's own)
            assert {(sg.code_id, sg.status.value, sg.decided_by) for sg in store.list_suggestions(s)} == {
                ("trust", "accepted", "bob"), ("buy_in", "pending", None)}
            assert store.reviewed_excerpts(s, coder_id=ctx.coder_id(s)) == set()
    finally:
        ctx.close()


def test_postgres_server_binary_is_found_where_ci_installs_it():
    # .ci/run installs Debian's postgresql; the fixture must find it (else PG tests skip).
    import os

    if not os.environ.get("CI") and find_pg_bin() is None:
        pytest.skip("not on CI and no PostgreSQL installed here")
    assert find_pg_bin() is not None and (find_pg_bin() / "pg_ctl").exists()


def _vector_cache_round_trip(ctx) -> None:
    import numpy as np

    from qualcode.storage.cache import get_vectors, put_vectors

    a, b = np.ones(4, dtype=np.float32).tobytes(), np.arange(4, dtype=np.float32).tobytes()
    with ctx.session() as s:
        put_vectors(s, {"h1": a, "h2": b}, "m:4", 4)
    with ctx.session() as s:  # idempotent: cached ones are skipped, the first copy stays
        put_vectors(s, {"h1": b, "h3": a}, "m:4", 4)
        put_vectors(s, {"h1": a}, "other:4", 4)
    with ctx.session(readonly=True) as s:
        assert get_vectors(s, ["h1", "h2", "h3", "h4"], "m:4") == {"h1": a, "h2": b, "h3": a}
        assert get_vectors(s, ["h1", "h2"], "other:4") == {"h1": a}


def test_embedding_cache_bulk_insert_on_postgres(db_url):  # noqa: F811
    ctx = services.init_project(None, db_url=db_url, coder="alice")
    try:
        _vector_cache_round_trip(ctx)
    finally:
        ctx.close()


def test_embedding_cache_bulk_insert_on_sqlite(project):
    _vector_cache_round_trip(project)


def test_codebook_import_and_undo_in_bulk(db_url, tmp_path):  # noqa: F811
    """The bulk paths (storage.bulk, list columns read as text) on both backends."""
    from qualcode.services import codebook as cbs

    ctx = services.init_project(None, db_url=db_url, coder="alice")
    try:
        before = cbs.get_codebook(ctx)
        path = tmp_path / "big.yaml"
        path.write_text("name: Big\ncodes:\n" + "".join(
            f"  - id: b{i}\n    name: Big {i}\n    definition: About {i}.\n"
            + (f"    parent: b{i - i % 10}\n" if i % 10 else "")
            + ("    include: [one, 'two é']\n" if i % 3 == 0 else "") for i in range(600)), encoding="utf-8")
        assert len(cbs.import_codebook(ctx, path)["added"]) == 600
        cb = cbs.get_codebook(ctx)
        assert cb.get("b3").include == ["one", "two é"] and cb.get("b4").include == []
        assert cb.get("b13").parent == "b10" and len(cb.codes) == len(before.codes) + 600
        cbs.undo_codebook(ctx)
        assert cbs.get_codebook(ctx) == before
    finally:
        ctx.close()


@pytest.mark.postgres
def test_a_database_server_gone_says_so_and_saves_nothing(pg_server, monkeypatch):  # noqa: F811
    """Walk 36: PostgreSQL stopped while a coder clicked "Add code": the click was lost without a
    word and the reloaded page was blank (an uncaught OperationalError). The service now says
    that nothing was saved and what to check; the app's page says so instead of going blank."""
    from streamlit.testing.v1 import AppTest

    from qualcode.errors import DatabaseUnavailable
    from tests.ui_helpers import APP_PY, no_exception

    url = pg_server.create_database()
    ctx = services.init_project(None, db_url=url, coder="alice")
    try:
        with ctx.session() as s:
            ex = documents.load_document(s, documents.add_document(s, make_document())).excerpts
        monkeypatch.delenv("QUALCODE_PROJECT", raising=False)
        monkeypatch.setenv("QUALCODE_DATABASE_URL", url)
        monkeypatch.setenv("QUALCODE_CODER", "alice")
        at = no_exception(AppTest.from_file(str(APP_PY), default_timeout=60).run())
        assert not at.error
        pg_server.drop_database(url)  # the server no longer serves this project's database
        with pytest.raises(DatabaseUnavailable, match="could not be reached .*nothing was saved. Check that "
                                                      "the database server is running"):
            coding.add_coding(ctx, ex[1].id, "trust")
        at.run()
        assert not at.exception
        assert any("could not be reached" in e.value and "then reload this page" in e.value
                   for e in at.error), [e.value for e in at.error]
    finally:
        ctx.close()


@pytest.mark.postgres
def test_tables_of_another_role_say_how_to_restore(pg_server):  # noqa: F811
    """Walk 36: a backup restored by ``postgres`` (as docs/teams.md said then) left tables the
    ``qualcode`` role could not read; qualcode said only "permission denied for table
    alembic_version". It now says what to do, and the docs restore as the right role."""
    url = pg_server.create_database()
    services.init_project(None, db_url=url, coder="alice").close()  # tables owned by postgres
    role = "walker_" + url.rsplit("_", 1)[1][:8]
    pg_server._admin(f'CREATE ROLE "{role}" LOGIN')
    other = url.replace("postgres@", f"{role}@", 1)
    with pytest.raises(StorageError, match="permission denied.*belong to another database role"):
        Database(other)

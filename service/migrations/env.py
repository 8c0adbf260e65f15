"""Alembic environment. `service.db.migrate` passes an open connection in
`config.attributes["connection"]`; run by hand, the URL comes from DATABASE_URL, CLAUSECHECK_DB or
alembic.ini."""
from __future__ import annotations

import os
from logging.config import fileConfig
from pathlib import Path

from alembic import context
from sqlalchemy import create_engine

config = context.config
target_metadata = None  # migrations are written by hand; see versions/


def _url() -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    if os.environ.get("CLAUSECHECK_DB"):
        return "sqlite:///" + str(Path(os.environ["CLAUSECHECK_DB"]).expanduser().resolve())
    return config.get_main_option("sqlalchemy.url")


def run() -> None:
    conn = config.attributes.get("connection")
    if conn is not None:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    if config.config_file_name:  # only when run from the alembic command, never inside the server
        fileConfig(config.config_file_name)
    if context.is_offline_mode():
        context.configure(url=_url(), literal_binds=True, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url())
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()

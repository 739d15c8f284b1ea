from flask import Flask

from vendors.catalog import writes
from vendors.catalog.cli import seed_command, vendors_group


def init_app(app: Flask) -> None:
    writes.install_guard()
    app.cli.add_command(seed_command)
    app.cli.add_command(vendors_group)

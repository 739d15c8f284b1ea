import click
from flask import Flask
from flask.cli import with_appcontext

from vendors.catalog import seeding
from vendors.catalog.records import RecordError


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_command)


@click.command("seed")
@click.option(
    "--synthetic", type=click.IntRange(min=1), help="Add this many generated vendors for scale tests."
)
@with_appcontext
def seed_command(synthetic: int | None) -> None:
    """Load the sample vendors (idempotent), or add generated ones with --synthetic N."""
    if synthetic:
        from vendors.catalog import synthetic as generator

        with click.progressbar(length=synthetic, label="Generating vendors") as bar:
            added = generator.insert_synthetic(synthetic, progress=bar.update)
        click.echo(f"Added {added} synthetic vendors.")
        return
    try:
        records = seeding.load_sample_records()
    except RecordError as error:
        raise click.ClickException(f"The sample data was not loaded: {error}") from None
    with click.progressbar(length=len(records), label="Loading sample vendors") as bar:
        added, present = seeding.seed_sample(records, progress=bar.update)
    click.echo(f"Sample data: {added} vendors added, {present} already present.")

"""`flask seed` and `flask vendors import|export`: the catalogue from the command line."""

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from vendors.audit import Actor
from vendors.catalog import changelog, csvfiles, seeding
from vendors.catalog.models import Vendor
from vendors.catalog.records import RecordError
from vendors.reference.taxonomy import STATUSES


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


@click.group("vendors")
def vendors_group() -> None:
    """Import and export the directory as CSV."""


@vendors_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and count the changes; write nothing.")
@with_appcontext
def import_command(path: str, dry_run: bool) -> None:
    """Add and update vendors from a CSV file: every row goes in, or none does."""
    name = Path(path).name
    opener = csvfiles.text_at(path)
    checked = csvfiles.check(opener, progress=_show_checked)
    if checked.problems:
        _refuse(name, checked)
    actor = Actor.command("flask vendors import")
    label = "Comparing" if dry_run else "Importing"
    with click.progressbar(length=checked.rows, label=label, file=sys.stderr) as bar:
        try:
            result = csvfiles.apply(
                opener,
                actor,
                note=f"import of {name}",
                checked=checked,
                dry_run=dry_run,
                progress=lambda done, _total: bar.update(done - bar.pos),
            )
        except csvfiles.FileChanged as error:
            raise click.ClickException(f"{name}: {error}.") from None
        except csvfiles.FileRejected as rejected:  # a vendor was saved, meanwhile, in a way a row would undo
            _refuse(name, rejected.checked)
    if not dry_run and (result.added or result.updated):
        changelog.many_changed.send(current_app._get_current_object(), count=result.added + result.updated)
    outcome = "Dry run, nothing written" if dry_run else "Imported"
    unchanged = (
        " Nothing changed: every row matches the directory." if result.unchanged == checked.rows else ""
    )
    click.echo(f"{outcome} {name}: {result.summary()}.{unchanged}")


def _refuse(name: str, checked: csvfiles.Checked) -> None:
    for problem in checked.problems:
        click.echo(str(problem), err=True)
    summary = csvfiles.Applied().summary(rejected=checked.rejected)
    raise click.ClickException(
        f"{name}: {summary}. Nothing was written: fix the lines above and import again."
    )


@vendors_group.command("export")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--status", type=click.Choice(list(STATUSES)), help="Only vendors with this status.")
@with_appcontext
def export_command(path: str, status: str | None) -> None:
    """Write every vendor (or those with --status) to a CSV file; - writes to standard output."""
    rows = csvfiles.export_rows(*([Vendor.status == status] if status else []))
    if path == "-":
        count = csvfiles.write(rows, sys.stdout)
    else:
        with open(path, "w", encoding="utf-8-sig", newline="") as stream:
            count = csvfiles.write(rows, stream)
    where = "standard output" if path == "-" else path
    click.echo(
        f"Exported {count} vendors{f' with status {status}' if status else ''} to {where}.", err=path == "-"
    )


def _show_checked(done: int, _total: int | None) -> None:
    click.echo(f"  checked {done:,} rows", err=True)

"""``congkhai simulate``: a whole campaign on a fake clock."""

from __future__ import annotations

import json
from pathlib import Path

import click

from bot.cli.common import ClerkError
from bot.domain.document import DocumentError
from bot.domain.texts import t


@click.command("simulate", help=t("cli.simulate.help"))
@click.option("--staff", type=click.IntRange(1, 5000), default=200, show_default=True, help=t("cli.simulate.staff"))
@click.option("--seed", type=int, default=1, show_default=True, help=t("cli.simulate.seed"))
@click.option("--doc", "document", type=click.Path(path_type=Path, exists=True, dir_okay=False), help=t("cli.simulate.doc"))
@click.option("--channel", type=click.Choice(["telegram", "zalo", "mixed"]), default="telegram", show_default=True,
              help=t("cli.simulate.channel"))
@click.option("--keep", type=click.Path(path_type=Path, dir_okay=False), help=t("cli.simulate.keep"))
@click.option("--json", "as_json", is_flag=True, help=t("cli.opt.json"))
def simulate_command(
    staff: int, seed: int, document: Path | None, channel: str, keep: Path | None, as_json: bool
) -> None:
    from bot.simulate import simulate

    if keep is not None and keep.exists():
        raise ClerkError(t("cli.simulate.keep_exists", path=keep))
    try:
        result = simulate(staff, seed, document, channel, keep)
    except DocumentError as error:
        raise ClerkError(str(error)) from None
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
    else:
        click.echo(t("cli.simulate.result", **result.as_dict()))
        if keep is not None:
            click.echo(t("cli.simulate.kept", path=keep.resolve()))


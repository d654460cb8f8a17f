"""`asi-chat images`: the history's images (link, conversation, prompt, when), and saving them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from app.cli.common import open_history, setting_options, settings_from
from app.core.errors import AsiChatError, NotFound


def _shown_url(url: str) -> str:
    return f"inline image ({url.split(';')[0][5:]}, kept in its message)" if url.startswith("data:") else url


@click.group(invoke_without_command=True)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1))
@click.option("--json", "as_json", is_flag=True, help="One JSON list.")
@setting_options
@click.pass_context
def images(ctx: click.Context, limit: int, as_json: bool, **flags: Any) -> None:
    """Images in the history, newest first. `images save ID|--all DIR` saves them."""
    if ctx.invoked_subcommand is not None:
        ctx.obj.setdefault("flags", {}).update({k: v for k, v in flags.items() if v is not None})
        return
    from app.cli.output import iso, print_json
    from app.core.images.files import history_images

    rows = history_images(open_history(settings_from(ctx, flags)), limit)
    if as_json:
        print_json([{"id": i.id, "url": i.url, "inline": i.url.startswith("data:"),
                     "conversation_id": i.conversation_id, "message_id": i.message_id,
                     "conversation_title": i.title, "prompt": i.prompt, "created_at": iso(i.created_at)}
                    for i in rows])
        return
    if not rows:
        click.echo("No images yet.", err=True)
    for i in rows:
        prompt = " ".join(i.prompt.split())
        prompt = prompt if len(prompt) <= 70 else prompt[:69] + "…"
        click.echo(f"{i.id:>6}  {iso(i.created_at)}  conversation {i.conversation_id}  {prompt}")
        click.echo(f"        {_shown_url(i.url)}")


@images.command()
@click.argument("targets", metavar="ID|--all DIRECTORY", nargs=-1, required=True)
@click.option("--all", "all_", is_flag=True, help="Save every image of the history.")
@setting_options
@click.pass_context
def save(ctx: click.Context, targets: tuple[str, ...], all_: bool, **flags: Any) -> None:
    """Save image ID (or --all) into DIRECTORY, named after its prompt (never overwriting)."""
    from app.core.images.cache import ImageCache
    from app.core.images.fetcher import ImageOk, fetch_image, limits_for
    from app.core.images.files import file_stem, history_image, history_images, save_copy, source

    if len(targets) != (1 if all_ else 2) or not (all_ or targets[0].isdigit()):
        raise click.UsageError("Give an image ID (or --all) and a directory.")
    image_id = None if all_ else int(targets[0])
    directory = Path(targets[-1]).expanduser()
    settings = settings_from(ctx, flags)
    store = open_history(settings)
    if all_:
        chosen = history_images(store)
    else:
        found = history_image(store, image_id)
        if found is None:
            raise NotFound(f"No image with id {image_id} (`asi-chat images` lists them).")
        chosen = [found]
    cache, failed = ImageCache(), 0
    for image in reversed(chosen):  # oldest first: the first of equal prompts keeps the plain name
        url = source(store, image)
        result = fetch_image(url, cache, limits_for(settings)) if url else None
        if not isinstance(result, ImageOk):
            failed += 1
            reason = result.reason if result else "not found in its message"
            click.echo(f"asi-chat: image {image.id}: {reason}", err=True)
            continue
        try:
            path = save_copy(result.path, directory, file_stem(image.prompt))
        except OSError as exc:
            raise AsiChatError(f"Cannot save into {directory}: {exc.strerror or exc}.") from None
        click.echo(str(path))
    if failed:
        ctx.exit(4)

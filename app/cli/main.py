"""The `asi-chat` command: the full-screen app, and shell commands over the same history."""

from __future__ import annotations

import gc
import sys
from typing import Any

import click

from app.cli.acp import acp
from app.cli.agents import agents
from app.cli.ask import ask
from app.cli.common import setting_options, settings_from
from app.cli.history import delete, export, list_, rename, resume, search, show
from app.cli.images import images
from app.cli.importer import import_
from app.cli.keys import keys
from app.cli.models import models
from app.cli.tools import tools
from app.core.errors import AsiChatError


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@setting_options
@click.version_option(package_name="asi-chat")
@click.pass_context
def cli(ctx: click.Context, **flags: Any) -> None:
    """Chat with ASI:One's agentic models. Without a command, opens the full-screen app."""
    ctx.obj = {"flags": {k: v for k, v in flags.items() if v is not None}}
    if ctx.invoked_subcommand is None:
        settings = settings_from(ctx, {})
        # No garbage collections until the app's first frame (`GcTuning.start` turns
        # them on again; `run_app` in any case).
        gc.disable()
        from app.ui.image_renderer import detect_renderer, start_terminal_query

        # Ask the terminal what it can draw now: it answers while the app is imported,
        # and must be asked before the app owns the terminal.
        query = start_terminal_query(settings.image_preview)
        from app.ui.app import run_app

        detect_renderer(settings.image_preview, query)

        run_app(settings, demo=bool(flags.get("demo")))


@click.command()
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option("--api-key", "key", default="sk-sim-demo", show_default=True, help="Key the simulator accepts.")
@click.option("--chunk-delay", default=0.02, show_default=True, type=float, help="Seconds between stream events.")
def simulator(port: int, key: str, chunk_delay: float) -> None:
    """Run the embedded ASI:One simulator on 127.0.0.1 until Ctrl-C."""
    from app.simulator import Simulator

    sim = Simulator(api_key=key, port=port, chunk_delay=chunk_delay).start()
    click.echo(f"ASI:One simulator on {sim.base_url}  (key: {key})", err=True)
    click.echo(f"Try: ASI_ONE_BASE_URL={sim.base_url} ASI_ONE_API_KEY={key} asi-chat", err=True)
    click.echo(f"Its Agentverse marketplace: ASI_CHAT_AGENTVERSE_URL={sim.origin}", err=True)
    try:
        sim.wait_forever()
    finally:
        sim.stop()


for _command in (ask, models, list_, search, show, export, import_, resume, rename, delete, simulator, agents,
                 images, tools, acp, keys):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI; errors become one line on stderr and an exit code."""
    try:
        code = cli.main(args=argv, prog_name="asi-chat", standalone_mode=False)
    except SystemExit as exc:
        from click.utils import PacifyFlushWrapper

        # Click ends a command whose stdout reader went away (`asi-chat list | head -1`)
        # with exit 1; the reader has all it wanted: quietly done (see README).
        if not isinstance(sys.stdout, PacifyFlushWrapper):
            raise
        del exc
        code = 0
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # click wraps Ctrl-C in Abort
            click.echo("Interrupted; what arrived so far is kept.", err=True)
            code = 130
        else:
            click.echo("Aborted.", err=True)
            code = 1
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except KeyboardInterrupt:
        click.echo("\nInterrupted; what arrived so far is kept.", err=True)
        code = 130
    except BrokenPipeError:  # `asi-chat list | head -1`: the reader has all it wanted
        from app.cli.output import stdout_closed

        stdout_closed()
        code = 0
    except AsiChatError as exc:
        click.echo(f"asi-chat: {exc.message}", err=True)
        code = exc.exit_code
    except Exception as exc:  # noqa: BLE001 - no traceback ever reaches a user
        click.echo(f"asi-chat: unexpected error: {type(exc).__name__}: {exc}", err=True)
        code = 1
    sys.exit(code if isinstance(code, int) else 0)

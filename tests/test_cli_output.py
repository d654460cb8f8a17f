"""The shell printer: stdout holds only the answer, never an acknowledgement."""

from __future__ import annotations

import io

import pytest

from app.cli.output import TurnPrinter

ACK = "I’ve sent your request to Image Generation HiDream-I1, waiting for result…"


def _printer() -> tuple[TurnPrinter, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return TurnPrinter(out=out, err=err), out, err


@pytest.mark.parametrize("step", [1, 3, 7])
def test_an_acknowledgement_in_any_wording_never_reaches_stdout(step: int) -> None:
    printer, out, _ = _printer()
    for start in range(0, len(ACK), step):
        printer.content(ACK[start:start + step])
    assert printer.end_of_reply() == ACK
    printer.final("![generated-image](https://example.com/x.png)")
    printer.finish()
    assert out.getvalue() == "![generated-image](https://example.com/x.png)\n"


def test_a_real_answer_streams_at_once() -> None:
    printer, out, _ = _printer()
    printer.content("Giraffes ")
    assert out.getvalue() == "Giraffes "

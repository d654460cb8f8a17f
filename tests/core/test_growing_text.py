from app.core.growing_text import GrowingText
from app.core.wire.events import Completion, ContentDelta, ReasoningDelta


def test_pieces_read_back_as_one_string_in_order():
    text = GrowingText("Hello")
    for piece in (", ", "", "wor", "ld"):
        text.append(piece)
    assert str(text) == "Hello, world"
    assert len(text) == len("Hello, world")
    text.append("!")
    assert str(text) == "Hello, world!" and text == "Hello, world!"


def test_empty_text_is_the_empty_string():
    assert str(GrowingText()) == "" and len(GrowingText()) == 0


def test_a_completion_gathers_twenty_thousand_pieces():
    completion = Completion()
    for index in range(20_000):
        completion.apply(ContentDelta(f"w{index} "))
        if index % 1000 == 0:
            completion.apply(ReasoningDelta("r"))
    assert completion.content == "".join(f"w{index} " for index in range(20_000))
    assert completion.reasoning == "r" * 20
    assert completion == Completion(completion.content, "r" * 20)
    assert completion != Completion(completion.content, "r" * 19)

"""Where asi-chat reaches past Textual's public API, each fork in its own module with why
and what it measured, each guarded by tests/ui/test_textual_internals.py (which fails when
Textual changes what the fork relies on):

- `screen`: the chat screen's compositor keeps the map it built (a reflow arranged every
  widget twice) and renders only the widgets a partial update meets (a wait card's tick);
  the footer's key watchers and the style cache's lines let go of removed widgets.
- `gc`: the collector frozen after the first frame and its thresholds raised while a reply
  streams (public `gc` API; here because it is tuning, not a widget).
"""

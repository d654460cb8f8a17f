"""Textual's stylesheet, remembering the styles of component classes.

Every Markdown block has four component classes (`em`, `strong`, `s`, `code_inline`),
and for each one, each time a block is styled, Textual builds a virtual node and matches
the whole stylesheet against it, uncached: 16% of the time a long streamed reply took to
render. The result depends only on the rules and on the path of the node (type, id,
classes and pseudo-classes of it and its ancestors), so it is kept, keyed by that path,
until the rules change (a theme switch or a new widget's CSS re-parses the stylesheet).
"""

from __future__ import annotations

from textual.css.styles import Styles
from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode

PathKey = tuple[tuple[str, str | None, frozenset[str], tuple[int, ...]], ...]


def path_key(node: DOMNode) -> PathKey | None:
    """What the styles of `node`'s component classes depend on; None if not cacheable."""
    key = []
    for part in node.css_path_nodes:
        if part._has_order_style or part._has_odd_or_even:
            return None  # :first-child, :odd and the like depend on the siblings too
        key.append((part._css_type_name, part._id, frozenset(part.classes), part._pseudo_classes_cache_key))
    return tuple(key)


class ComponentStyleCache(Stylesheet):
    """A `Stylesheet` that computes component class styles once per node path."""

    def __init__(self, *, variables: dict[str, str] | None = None) -> None:
        super().__init__(variables=variables)
        self._component_rules: object = None  # the rules the cache was filled from
        self._component_cache: dict[PathKey, dict[str, Styles]] = {}

    def _process_component_classes(self, node: DOMNode) -> None:
        if not node._get_component_classes():
            return
        rules = self.rules
        if rules is not self._component_rules:
            self._component_rules, self._component_cache = rules, {}
        key = path_key(node)
        cached = self._component_cache.get(key) if key is not None else None
        if cached is None:
            super()._process_component_classes(node)
            if key is not None:
                self._component_cache[key] = dict(node._component_styles)
            return
        styles = node._component_styles
        if styles != cached:
            changed = bool(styles)
            styles.clear()
            styles.update(cached)
            if changed:
                node.refresh()

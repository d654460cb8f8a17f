"""The app's keys: one table feeds the bindings (each declared on the area it acts on), the
footer, the command palette, `asi-chat keys` and the README's key table (a test checks it).

Every key has an id, named after its action in kebab-case: `[keymap]` in config.toml maps
ids to other keys (`new-conversation = "f6"`) through Textual's keymap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textual.binding import Binding

APP, SCREEN, CONVERSATION, SIDEBAR, CHAT = "app", "screen", "conversation", "sidebar", "chat"
"""Where a key is declared: the chat screen (works from anywhere on it), the open
conversation (its message box and chat), the sidebar (the list), the chat pane (a
selected message)."""


@dataclass(frozen=True)
class Key:
    """One key of the app."""

    id: str
    """Its binding id (kebab-case, after the action): what `[keymap]` names."""
    keys: str
    action: str
    label: str
    """The footer's label."""
    help: str
    """The palette's help line (and `asi-chat keys`)."""
    where: str
    show: bool = False
    """Shown in the footer."""
    priority: bool = False
    """Handled before the key reaches the focused widget: wins over its own binding (the
    composer's ctrl+y redo, ctrl+d), and keys typed right after wait for it (ctrl+n, then
    text and Enter at once: the text goes to the new conversation; ctrl+f, ctrl+g: the
    letters go to the box just opened)."""
    palette: bool = True

    def binding(self, keys: str | None = None) -> Binding:
        return Binding(keys or self.keys, self.action, self.label, show=self.show, priority=self.priority,
                       id=self.id)


KEYS: list[Key] = [
    Key("new-conversation", "ctrl+n", "new_conversation", "New", "Start a new conversation", SCREEN, show=True,
        priority=True),
    Key("copy-image-link", "ctrl+y", "copy_image", "Copy image",
        "Copy the newest image link of this conversation", CONVERSATION, show=True, priority=True),
    Key("open-image-link", "ctrl+o", "open_image", "Open image", "Open the newest image link in the browser",
        CONVERSATION),
    Key("image-gallery", "f9", "image_gallery", "Images", "Every image in the history, newest first", SCREEN),
    Key("cancel", "escape", "cancel_turn", "Cancel", "Cancel the running reply or agent wait", CONVERSATION,
        show=True),
    Key("search", "ctrl+f", "search", "Search", "Search conversations", SCREEN, show=True, priority=True),
    Key("switch-model", "f2", "switch_model", "Model", "Switch this conversation's model", CONVERSATION, show=True),
    Key("toggle-web-search", "f8", "toggle_web_search", "Web search",
        "Turn web search on or off for this conversation", CONVERSATION),
    Key("system-prompt", "ctrl+s", "edit_system_prompt", "System prompt", "Set this conversation's system prompt",
        CONVERSATION),
    Key("rename-conversation", "ctrl+r", "rename", "Rename", "Rename this conversation", CONVERSATION),
    Key("delete-conversation", "ctrl+d", "delete", "Delete", "Delete this conversation", CONVERSATION,
        priority=True),
    Key("toggle-reasoning", "ctrl+b", "toggle_reasoning", "Reasoning", "Show or hide the reasoning pane", SCREEN),
    Key("focus-list", "ctrl+l", "focus_list", "List",
        "Focus the conversation list (again: back to the message box)", SCREEN),
    Key("focus-chat", "ctrl+t", "focus_chat", "Chat", "Focus the chat: ↑/↓ between messages, e edit, r regenerate,"
        " ←/→ branches (again: back to the message box)", SCREEN),
    Key("copy-message", "f4", "copy_message", "Copy message", "Copy the selected (or last) message", CONVERSATION),
    Key("wait-again", "f5", "resume_wait", "Wait again", "Wait again for this conversation's stopped agent",
        CONVERSATION),
    Key("next-search-hit", "f3", "search_hit(1)", "Next hit",
        "Show the next message matching the search (n in the chat)", SCREEN),
    Key("previous-search-hit", "shift+f3", "search_hit(-1)", "Previous hit",
        "Show the previous matching message (N in the chat)", SCREEN),
    Key("agent-browser", "ctrl+g", "agent_browser", "Agents", "Browse Agentverse agents and address one (@handle)",
        SCREEN, priority=True),
    Key("quit", "ctrl+q", "quit", "Quit", "Quit asi-chat (everything is stored)", APP, show=True, priority=True,
        palette=False),
    # In the list: the highlighted conversation's.
    Key("end-search", "escape", "end_search", "End search", "End the search and go back to the message box",
        SIDEBAR, palette=False),
    Key("rename-conversation", "ctrl+r", "rename", "Rename", "Rename the highlighted conversation", SIDEBAR,
        palette=False),
    Key("delete-conversation", "ctrl+d", "delete", "Delete", "Delete the highlighted conversation", SIDEBAR,
        priority=True, palette=False),
    # On a selected message (ctrl+t, then ↑/↓): the chat pane's own keys.
    Key("edit-message", "e", "on_message('edit')", "Edit",
        "Put the selected message of yours in the message box; Enter sends it as a new branch", CHAT, show=True,
        palette=False),
    Key("regenerate", "r", "on_message('regenerate')", "Regenerate",
        "Ask again for the selected reply, as a new branch", CHAT, show=True, palette=False),
    Key("switch-branch-left", "left", "on_message('branch_back')", "◀ Branch",
        "Show the selected message's previous branch", CHAT, show=True, palette=False),
    Key("switch-branch-right", "right", "on_message('branch_next')", "Branch ▶",
        "Show the selected message's next branch", CHAT, show=True, palette=False),
    Key("copy-selected-image", "c", "copy_selected_image", "Copy image link",
        "Copy the selected message's image link", CHAT, palette=False),
    Key("chat-next-search-hit", "n", "screen.search_hit(1)", "Next hit", "The next message matching the search",
        CHAT, palette=False),
    Key("chat-previous-search-hit", "N", "screen.search_hit(-1)", "Previous hit",
        "The previous message matching the search", CHAT, palette=False),
]

# Actions reached from the palette only: (action, label, help), run on the open conversation.
PALETTE_ONLY: list[tuple[str, str, str]] = [
    ("fork", "Fork into a new conversation", "A new conversation from the selected (or last) message"),
    ("edit_message", "Edit the selected message", "Put it in the message box; Enter sends it as a new branch"),
    ("regenerate", "Regenerate the selected reply", "Ask again for it, as a new branch"),
]


def bindings(where: str) -> list[Binding]:
    """The bindings declared on one area (`SCREEN`, `CONVERSATION`, `SIDEBAR`, `CHAT`)."""
    return [key.binding() for key in KEYS if key.where == where]


def check_keymap(keymap: Mapping[str, str], keys: Iterable[Key] = KEYS) -> list[str]:
    """What is wrong with a user's `[keymap]`: unknown ids, keys two bindings of one area (or
    an area and the screen it is on) would share, and keys the message box keeps for itself
    (they would never reach the screen). One line each."""
    from app.ui.widgets.composer import Composer

    composer = {one.strip() for binding in Composer.BINDINGS if isinstance(binding, Binding)
                for one in binding.key.split(",")}
    keys = list(keys)
    known = {key.id for key in keys}
    problems = [f"[keymap] {name!r} is not a key of asi-chat (`asi-chat keys` lists them)."
                for name in keymap if name not in known]
    for name, spelled in keymap.items():
        if name in known and isinstance(spelled, str) and not spelled.startswith("ctrl+y"):
            for one in (k.strip() for k in spelled.split(",")):
                if one in composer and one not in ("ctrl+y", "ctrl+d"):
                    problems.append(f"[keymap] {name!r}: {one} is the message box's own key; choose another.")
    taken: dict[tuple[str, str], str] = {}
    for key in keys:
        spelled = keymap.get(key.id, key.keys) if isinstance(keymap.get(key.id, key.keys), str) else key.keys
        for one in (k.strip() for k in spelled.split(",")):
            scope = "global" if key.where in (APP, SCREEN, CONVERSATION) else key.where
            other = taken.get((scope, one))
            if other is not None and other != key.id:
                problems.append(f"[keymap] {key.id!r} and {other!r} would both be {one}: one of them must move.")
            taken[(scope, one)] = key.id
    return problems

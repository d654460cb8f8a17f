"""The app's keys: one table feeds the bindings, the footer and the command palette
(README's key table is checked against it by a test)."""

from __future__ import annotations

# (key, action, footer label, palette help, shown in footer). Keys the composer's TextArea
# binds itself (ctrl+d, ctrl+y) are priority bindings, so they work from where focus starts.
KEYS: list[tuple[str, str, str, str, bool]] = [
    ("ctrl+n", "new_conversation", "New", "Start a new conversation", True),
    ("ctrl+y", "copy_image", "Copy image", "Copy the newest image link of this conversation", True),
    ("ctrl+o", "open_image", "Open image", "Open the newest image link in the browser", False),
    ("f9", "image_gallery", "Images", "Every image in the history, newest first", False),
    ("escape", "cancel_turn", "Cancel", "Cancel the running reply or agent wait", True),
    ("ctrl+f", "search", "Search", "Search conversations", True),
    ("f2", "switch_model", "Model", "Switch this conversation's model", True),
    ("f8", "toggle_web_search", "Web search", "Turn web search on or off for this conversation", False),
    ("ctrl+s", "edit_system_prompt", "System prompt", "Set this conversation's system prompt", False),
    ("ctrl+r", "rename", "Rename", "Rename this conversation", False),
    ("ctrl+d", "delete", "Delete", "Delete this conversation", False),
    ("ctrl+b", "toggle_reasoning", "Reasoning", "Show or hide the reasoning pane", False),
    ("ctrl+l", "focus_list", "List", "Focus the conversation list (again: back to the message box)", False),
    ("ctrl+t", "focus_chat", "Chat", "Focus the chat: ↑/↓ between messages, e edit, r regenerate, ←/→ branches"
     " (again: back to the message box)", False),
    ("f4", "copy_message", "Copy message", "Copy the selected (or last) message", False),
    ("f5", "resume_wait", "Wait again", "Wait again for this conversation's stopped agent", False),
    ("f3", "search_hit(1)", "Next hit", "Show the next message matching the search (n in the chat)", False),
    ("shift+f3", "search_hit(-1)", "Previous hit", "Show the previous matching message (N in the chat)", False),
    ("ctrl+g", "agent_browser", "Agents", "Browse Agentverse agents and address one (@handle)", False),
]
PRIORITY = {"ctrl+y", "ctrl+d"}

# Actions reached from the palette only: (action, label, help).
PALETTE_ONLY: list[tuple[str, str, str]] = [
    ("fork", "Fork into a new conversation", "A new conversation from the selected (or last) message"),
    ("edit_message", "Edit the selected message", "Put it in the message box; Enter sends it as a new branch"),
    ("regenerate", "Regenerate the selected reply", "Ask again for it, as a new branch"),
]

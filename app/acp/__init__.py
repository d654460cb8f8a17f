"""`asi-chat acp`: asi-chat as an Agent Client Protocol agent (JSON-RPC 2.0 on stdio).

Editors (Zed, JetBrains, Toad, …) drive it: each ACP session is a conversation of the
same SQLite history the app and the shell commands use. The core's typed turn events are
turned into ACP `session/update` notifications (`updates`); nothing here parses the
ASI:One wire or writes the store other than through `ChatService`.
"""

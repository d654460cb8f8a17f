"""Client-side tools: MCP servers offered to the model, the tool loop, and approval.

Nothing heavy is imported here: `app.core.config` reads `settings`, and the `mcp` SDK is
loaded only when a turn may use tools (`servers`).
"""

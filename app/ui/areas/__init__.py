"""The chat screen's three areas: `Sidebar` (search and the conversation list),
`ConversationView` (the open conversation) and `RightPane` (reasoning and trace)."""

"""The library half of asi-chat: protocol, client, engine, store. No Textual here."""

"""Redis Lua scripts, one operation per file, loaded by app.core.scripts."""

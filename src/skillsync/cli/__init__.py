"""The command line: click commands only. Each command parses, calls the core, renders."""

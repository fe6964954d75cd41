"""The pure analyzers and the stream core, on real media and on media whose answer is known."""

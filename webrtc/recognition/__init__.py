"""Speech recognition in another process or on another machine, over OpenAI's transcription API."""

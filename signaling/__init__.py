"""HTTP signaling: settings, the aiohttp app, and framework-free offer handling."""

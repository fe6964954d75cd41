"""The pages in real headless Chromium, driven by Playwright as a person uses them."""

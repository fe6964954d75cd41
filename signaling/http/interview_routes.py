"""HTTP routes for interview practice: which question sets this server has (for a page to offer
a choice). The questions themselves are chosen at ``POST /api/sessions`` (``interview``)."""

from __future__ import annotations

from aiohttp import web

from signaling.http.app_keys import SERVICE, SETTINGS


async def get_roles(request: web.Request) -> web.Response:
    """Every set by language: role, title and how many questions (no question text), the
    languages an interview may be held in here (``spoken``), and whether the server speaks the
    questions and can review answers with a language model."""
    service = request.app[SERVICE]
    bank = service.questions
    languages = {
        language: [
            {"role": role, "title": title, "questions": len(bank.sets[(language, role)].questions)}
            for role, title in bank.roles(language)
        ]
        for language in ("en", "zh")
    }
    settings = request.app[SETTINGS]
    # A Chinese interview is transcribed only by a multilingual speech model.
    spoken = ["en", "zh"] if settings.asr_mandarin or not settings.transcript else ["en"]
    return web.json_response(
        {
            "languages": languages,
            "spoken": spoken,
            "voice": settings.interview_voice != "off",
            "llm": service.language_model is not None,
        }
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/interview/roles", get_roles)

"""The knowledge-base tool: answer from the local index with the article as source, suggest, or decline.

The index (``KnowledgeSearch``, provided by ``copilot.knowledge``) sorts each question into a tier:
*confident* — the sentences or steps that answer it, first, then the article link; *plausible* —
"these articles may help" with up to three links, what the first of them says (marked as a guess) and a button
to talk to the IT team; *none* — say
so and offer a person instead of guessing. A thumbs-down on an answer (the ``not_helpful`` button, which
the chat UI sends for a thumbs-down) offers the next best article, then a person.
"""

from __future__ import annotations

from typing import Any

from tools.actions import button
from tools.context import AsyncTool, KbAnswer, KbArticle, KnowledgeSearch, ToolContext, tool
from tools.freshservice import ServiceItem
from tools.kb_question import about_the_desk, asks_how_to_reach_it, contact_answer, variants
from tools.results import ToolResult
from tools.state import KbAlternative, KbShown

MAX_PASSAGE_CHARS = 900  # enough for the steps; the link has the rest
MAX_SUGGESTIONS = 3  # links shown when the articles may help but none is a confident answer
MAX_ALTERNATIVES = 2  # next best articles a thumbs-down can offer, one per thumbs-down, before a person
NOT_HELPFUL = "not_helpful"  # the button (and chat thumbs-down) kind
KB_FEEDBACK = "kb_feedback"  # the audit event of a thumbs-down: the question and the article that did not help
MAX_QUESTION_CHARS = 500


def shown_passage(passages: list[str], limit: int = MAX_PASSAGE_CHARS) -> str:
    """What a confident answer shows: the answering sentences or steps first, then the rest of their
    section, cut at ``limit`` characters on a word boundary."""
    passage = "\n\n".join(p.strip() for p in passages[:4] if p.strip())
    if len(passage) > limit:
        passage = passage[:limit].rsplit(" ", 1)[0] + " …"
    return passage


def knowledge_tools(ctx: ToolContext) -> list[AsyncTool]:
    @tool(ctx, "Searched the knowledge base")
    async def search_kb(question: str) -> ToolResult:
        """Search the IT knowledge base for articles that answer the employee's question."""
        if ctx.knowledge is None or not ctx.knowledge.ready:
            ctx.out.failed = True
            ctx.out.offer("escalate", "Ask the IT team")
            return ToolResult(ok=False, message=(
                "The knowledge base is still being built (this happens once, on first start). I can already check "
                "licences, requests and your tickets, or pass your question to the IT team."))
        found = await best_reading(ctx.knowledge, question)
        articles = found.articles
        ctx.state.kb_shown = None
        if asks_how_to_reach_it(question):
            desk = next((a for a in articles[:1] if found.tier != "none" and about_the_desk(a)), None)
            if desk is not None:
                ctx.out.cite(desk.title, desk.url)
            return ToolResult(data={"contact": True, "articles": [desk.title] if desk else []},
                              message=contact_answer(ctx, desk, shown_passage(desk.passages) if desk else ""))
        data: dict[str, Any] = {"confidence": round(found.confidence, 3), "answer": found.answer, "tier": found.tier,
                "articles": [{"id": a.id, "title": a.title, "url": a.url} for a in articles]}
        if articles and (found.answer or found.tier == "plausible"):
            ctx.state.show("articles", [(a.url, a.title) for a in articles[:MAX_SUGGESTIONS]], subject=question[:200])
        if found.tier == "plausible" and articles and not found.answer:
            data["escalation_offered"] = True
            for article in articles[:MAX_SUGGESTIONS]:
                ctx.out.cite(article.title, article.url)
            ctx.out.offer("escalate", "Talk to the IT team")
            links = "\n".join(f"- {a.title}: {a.url}" for a in articles[:MAX_SUGGESTIONS])
            lead = articles[0]
            if passage := shown_passage(lead.passages):
                # what the likeliest article says, marked as a guess, so the employee need not open three links
                # to find out; the thumbs-down still offers the next one
                ctx.state.kb_shown = _shown(lead, articles[1:1 + MAX_ALTERNATIVES], question)
                return ToolResult(ok=True, data=data, message=(
                    f"I'm not sure any of them answers it exactly. These articles may help:\n\n{links}\n\n"
                    f"The first one, “{lead.title}”, says:\n\n{passage}\n\n"
                    "If that isn't it, I can pass your question to the IT team." + await _request_offer(ctx, question, passage, data)))
            return ToolResult(ok=True, data=data, message=(
                f"I'm not sure any of them answers it exactly. These articles may help:\n\n{links}\n\n"
                "If they don't, I can pass your question to the IT team."))
        if not found.answer or not articles:
            data["escalation_offered"] = True
            ctx.out.offer("escalate", "Talk to the IT team")
            return ToolResult(ok=True, data=data, message=(
                "I couldn't find anything in the knowledge base that answers that. I'd rather not guess: "
                "I can pass your question to the IT team."))
        best = articles[0]
        for article in articles[:2]:
            ctx.out.cite(article.title, article.url)
        passage = shown_passage(best.passages)
        data["passages"] = best.passages[:4]
        ctx.state.kb_shown = _shown(best, articles[1:1 + MAX_ALTERNATIVES], question)
        message = f"From “{best.title}”:\n\n{passage}\n\nFull article: {best.url}"
        return ToolResult(data=data, message=message + await _request_offer(ctx, question, passage, data))

    return [search_kb]


async def _request_offer(ctx: ToolContext, question: str, passage: str, data: dict[str, Any]) -> str:
    """ "How do I get access to the finance shared drive?": the passage shown says to request the catalog item the
    question is about, so offer to start it (a button, and "ok, request that" or "a second one" refer to it)."""
    if ctx.catalog is None or (item := await requested_in(ctx, question, passage)) is None:
        return ""
    ctx.out.offer(f"start:{item.display_id}", f"Request {item.name}")
    ctx.state.show_item(item)
    data["request_offered"] = item.name
    return f"\n\nI can start the “{item.name}” request for you."


async def requested_in(ctx: ToolContext, question: str, passage: str) -> ServiceItem | None:
    """The catalog item the answer tells the employee to request, when it is the one the question is about:
    its name is in the shown passage and the tenant vocabulary links the question to that same item."""
    vocabulary = ctx.catalog.vocabulary
    named = vocabulary.item_in(question) if vocabulary is not None else None
    if named is None or named.lower() not in passage.lower():
        return None
    return next((item for item in await ctx.catalog.items() if item.name == named), None)


async def best_reading(knowledge: KnowledgeSearch, question: str) -> KbAnswer:
    """The most confident of the index's answers to the readings of the question (``kb_question.variants``):
    as written, without hedge words, its question clause alone."""
    best: KbAnswer | None = None
    for text in variants(question):
        found = await knowledge.search(text, k=3)
        if best is None or found.confidence > best.confidence:
            best = found
    assert best is not None  # variants() always includes the question itself
    return best


def _shown(best: KbArticle, others: list[KbArticle], question: str) -> KbShown:
    return KbShown(title=best.title, url=best.url, question=question[:MAX_QUESTION_CHARS], alternatives=[
        KbAlternative(title=a.title, url=a.url, passage=shown_passage(a.passages)) for a in others])


@button(NOT_HELPFUL)
async def not_helpful(ctx: ToolContext, _argument: str) -> ToolResult:
    """A thumbs-down on the last knowledge answer: the next best article it found, or a person."""
    shown = ctx.state.kb_shown
    ctx.out.offer("escalate", "Talk to the IT team")
    if shown is not None and shown.question:  # the knowledge-gaps report reads these (copilot.insights.gaps)
        await ctx.audit.record(ctx.event(KB_FEEDBACK, arguments={"question": shown.question, "value": "down"},
                                         result={"article": {"title": shown.title, "url": shown.url}}))
    if shown is None or not shown.alternatives:
        ctx.state.kb_shown = None
        return ToolResult(data={"offered": "person", "escalation_offered": True}, message=(
            "Sorry that didn't help. I can pass your question to the IT team, and a person will pick it up."))
    best, *rest = shown.alternatives
    ctx.state.kb_shown = KbShown(title=best.title, url=best.url, alternatives=rest, question=shown.question)
    ctx.out.cite(best.title, best.url)
    passage = f"\n\n{best.passage}" if best.passage else ""
    return ToolResult(data={"offered": "article", "article": {"title": best.title, "url": best.url},
                            "escalation_offered": True}, message=(
        f"Sorry that didn't help. The next closest article is “{best.title}”:{passage}\n\n"
        f"Full article: {best.url}\n\nIf that's not it either, I can pass your question to the IT team."))

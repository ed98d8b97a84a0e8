"""The knowledge-base tool: answer from the local index with the article as source, or decline.

The index (``KnowledgeSearch``, provided by ``copilot.knowledge``) decides whether its best article is
good enough to answer from; below that, the tool says so and offers a person instead of guessing.
"""

from __future__ import annotations

from tools.context import AsyncTool, ToolContext, tool
from tools.results import ToolResult

MAX_PASSAGE_CHARS = 900  # enough for the steps; the link has the rest


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
        found = await ctx.knowledge.search(question, k=3)
        articles = found.articles
        data = {"confidence": round(found.confidence, 3), "answer": found.answer,
                "articles": [{"id": a.id, "title": a.title, "url": a.url} for a in articles]}
        if not found.answer or not articles:
            data["escalation_offered"] = True
            ctx.out.offer("escalate", "Talk to the IT team")
            return ToolResult(ok=True, data=data, message=(
                "I couldn't find an article I'm confident answers that. I'd rather not guess: "
                "I can pass your question to the IT team."))
        best = articles[0]
        for article in articles[:2]:
            ctx.out.cite(article.title, article.url)
        passage = "\n\n".join(p.strip() for p in best.passages[:2])
        if len(passage) > MAX_PASSAGE_CHARS:
            passage = passage[:MAX_PASSAGE_CHARS].rsplit(" ", 1)[0] + " …"
        data["passages"] = best.passages[:2]
        return ToolResult(data=data, message=f"From “{best.title}”:\n\n{passage}\n\nFull article: {best.url}")

    return [search_kb]

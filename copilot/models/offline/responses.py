"""What the offline model says when no tool is needed (small talk, out of scope, not understood).

Several phrasings per intent, chosen by a hash of the conversation id and turn: deterministic,
but not robotic across a conversation.
"""

from __future__ import annotations

import hashlib

CAPABILITIES = ("I can answer IT questions from the knowledge base (with links to the articles), check whether a "
                "software licence seat is free, walk you through requesting hardware, software or access, create "
                "an incident when something is broken, tell you the status of your tickets, and put you in touch "
                "with the IT team.")

REPLIES: dict[str, list[str]] = {
    "greeting": ["Hi{name}! I'm the IT copilot. " + CAPABILITIES + " What can I do for you?",
                 "Hello{name}! What can I help you with today? You can ask an IT question, check a licence, "
                 "request something or ask about your tickets."],
    "thanks": ["You're welcome{name}! Anything else I can help with?", "Glad I could help. Anything else?"],
    "goodbye": ["Bye{name}! You can come back any time; your tickets stay in My tickets.",
                "Take care! If anything else comes up, just ask."],
    "about_me": ["I'm the IT copilot, an automated assistant, not a person. " + CAPABILITIES + " If you'd rather "
                 "talk to someone from the IT team, just say so and I'll hand you over."],
    "capabilities": [CAPABILITIES + " Try “how do I connect to the VPN?” or “is there a free Figma licence?”."],
    "out_of_scope_hr": ["That's not something IT handles, so I can't answer it reliably. For pay, leave and other "
                        "HR questions please use the People team's portal; I'm here for IT topics.",
                        "I only help with IT topics, so I'd rather not guess. The People team can help with that one."],
    "out_of_scope_task": ["I only help with IT topics, so I can't write that for you. I can answer IT questions, "
                          "check licences, request things and report problems."],
    "nonsense": ["Sorry, I didn't understand that. Could you describe what you need in a sentence? For example: "
                 "“my VPN won't connect” or “I need a new monitor”."],
    "affirm": ["Okay. What would you like me to do?"],
    "hesitation": ["No rush. When you're ready, describe what you need in a sentence, for example “my VPN won't "
                   "connect” or “I need a new monitor”."],
    "deny": ["No problem. Is there anything else I can help with?"],
    "cancel": ["Okay, nothing is in progress to cancel. What would you like to do?"],
    "unavailable": ["I can't do that here, but I can pass it to the IT team if you like."],
}


def respond(intent: str, *, conversation_id: str = "", turn: int = 0, first_name: str = "") -> str | None:
    options = REPLIES.get(intent)
    if not options:
        return None
    digest = hashlib.sha256(f"{conversation_id}:{turn}:{intent}".encode()).digest()
    text = options[digest[0] % len(options)]
    return text.replace("{name}", f", {first_name}" if first_name else "")

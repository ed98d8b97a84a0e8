"""Shipped word lists for knowledge retrieval, the same for every customer (no per-tenant tuning).

* :data:`SYNONYMS` — groups of words employees use for the same IT thing. A query token in a group
  adds the other members to the BM25 query (``expand``); the dense model sees the text as typed.
* :data:`OUT_OF_SCOPE` — generic questions no IT knowledge base answers (chit-chat, HR, travel,
  facilities, trivia). The index uses them as negatives when it calibrates its own confidence on a
  tenant's articles (:meth:`copilot.knowledge.index.KnowledgeIndex.calibrate`). IT topics are
  deliberately absent: an IT topic that looks unlikely may well be in some tenant's KB.
"""

from __future__ import annotations

SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("wifi", "wi-fi", "wireless", "wlan"),
    ("mfa", "2fa", "authenticator", "two-factor", "multi-factor", "otp"),
    ("password", "passcode", "passphrase", "pwd"),
    ("laptop", "notebook", "computer", "pc"),
    ("phone", "mobile", "smartphone", "iphone", "android", "cellphone"),
    ("email", "e-mail", "mail", "mailbox"),
    ("vpn", "globalprotect", "remote-access"),
    ("printer", "printing", "print"),
    ("monitor", "screen", "display"),
    ("dock", "docking", "dongle", "hub"),
    ("headset", "headphones", "earphones"),
    ("install", "download", "setup"),
    ("software", "app", "application", "program", "tool"),
    ("admin", "administrator", "elevated", "sudo"),
    ("stolen", "lost", "missing"),
    ("phishing", "scam", "suspicious", "spam"),
    ("locked", "lockout", "blocked"),
    ("slow", "sluggish", "laggy", "freezing"),
    ("usb", "thumbdrive", "flashdrive", "stick"),
    ("onedrive", "backup", "restore"),
    ("sharepoint", "intranet"),
    ("ticket", "request", "case"),
    ("leaver", "leaving", "offboarding", "resign", "quit"),
    ("starter", "onboarding", "joiner", "new-hire"),
    ("meeting", "call", "conference"),
)

OUT_OF_SCOPE: tuple[str, ...] = (
    # chit-chat
    "hello how are you today", "tell me a joke", "what's your name", "are you a robot",
    "good morning", "thanks that's all", "what is the meaning of life", "can you sing a song",
    "who made you", "i'm bored, entertain me",
    # HR and pay
    "how many days of annual leave remain for me", "when is payday this month", "how do I request parental leave",
    "what is the sick leave policy", "how do I change my bank details for salary", "who is my HR business partner",
    "can I work part time", "how does the annual bonus work", "how do I submit a resignation letter to HR",
    "what are the public holidays this year", "how do I claim overtime", "what is the dress code",
    "how do I update my home address with HR", "when is my performance review",
    # expenses, travel
    "how do I submit an expense claim", "can I expense a taxi to the airport", "book a hotel in Paris for next week",
    "what is the per diem for business travel", "how do I book a flight for a client visit",
    "is economy or business class allowed", "where do I get a corporate credit card",
    "how do I get a visa for a business trip",
    # facilities, office life
    "where is the canteen", "what's for lunch today", "the coffee machine on floor 3 is empty",
    "how do I book a parking space", "the air conditioning is too cold", "where can I find a meeting room for lunch",
    "is there a gym in the building", "when does the office close on Friday", "who waters the plants",
    "the toilet on the second floor is blocked", "can I bring my dog to the office",
    # trivia, weather, general knowledge
    "what's the weather tomorrow", "will it rain this weekend", "who won the football match last night",
    "what is the capital of Australia", "how tall is Mount Everest", "recipe for chocolate cake",
    "translate good evening into Spanish", "what time is it in Tokyo", "how many calories in a banana",
    "who wrote Pride and Prejudice", "what's the exchange rate of the euro", "best pizza place nearby",
    "how far is the moon", "recommend a good movie", "what is the stock price of Apple",
    "when is the next company party", "how do I cook rice", "what's the score of the tennis final",
    # legal, finance, sales
    "how do I sign an NDA with a supplier", "what is our revenue this quarter", "who approves marketing budget",
    "where is the sales commission plan", "how do I register a trademark",
)


# English stop words left out of BM25 tokens and of the words a question is matched on
STOP_WORDS: frozenset[str] = frozenset("""a about above after again against all am an and any are aren't as at be because been
before being below between both but by can could did do does doing down during each few for from further
had has have having he her here hers herself him himself his how i if in into is it its itself just let
me more most my myself no nor not of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those through
to too under until up very was we were what when where which while who whom why will with would you your
yours yourself yourselves i'm i've i'd it's don't doesn't can't want need like way possible please get""".split())


def synonym_map() -> dict[str, tuple[str, ...]]:
    """word → the other words of its group (each member appears once)."""
    out: dict[str, tuple[str, ...]] = {}
    for group in SYNONYMS:
        for word in group:
            out[word] = tuple(w for w in group if w != word)
    return out

"""Which language the employee writes in, and what the offline model can still understand of it.

The copilot answers in English (its knowledge base, catalog and tools are English). An employee who writes
"mi VPN no funciona" or "Drucker druckt nicht" should still be helped, told once in their own language
that answers are in English, and never be pushed into an automatic incident because the offline model
could not read them.

- :func:`identify` names the language of one message: ``"en"``, one of :data:`SUPPORTED` (es, de, fr, pt, it,
  nl, pl) or ``None`` when the message says too little to tell ("ok", "VPN", "#7", "Windows"). It combines
  ``py3langid`` (a naive-Bayes n-gram model shipped inside the wheel, restricted to these eight languages)
  with small lists of each language's everyday words: the n-gram model alone calls "hi", "mac" or
  "Berlin - Spree" German or Dutch, so a foreign verdict needs at least one foreign word or accent.
- :func:`gloss` rewrites the words the offline model needs (password, printer, "is not working", "talk to a
  person", "my tickets", "free licences", yes/submit) into English, keeping product names and numbers, so
  the English intent classifier, the KB search and the catalog matcher can work on it.
- :func:`notice` and :func:`offer_person` are the one-line messages in the employee's language.

No model is downloaded at run time: ``py3langid`` ships its model file in the package.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

ENGLISH = "en"
SUPPORTED: dict[str, str] = {"es": "Spanish", "de": "German", "fr": "French", "pt": "Portuguese", "it": "Italian",
                             "nl": "Dutch", "pl": "Polish"}
# E-mail addresses, web addresses and host names say nothing about the language they are written in.
_ADDRESS = re.compile(r"\S+@\S+|https?://\S+|www\.\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|io|net|org|de|fr|es|it|pt|br|co|uk|eu|"
                      r"nl|pl|example)\b\S*")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_ACCENTED = re.compile(r"[àâäçéèêëíìîïñóòôöõúùûüãßąćęłńśźż¿¡]", re.I)


def _words(text: str) -> set[str]:
    return set(text.split())


# Everyday words of each language that English messages do not contain (no "a", "no", "me", "do", "per",
# "come", "was", "hat": those are English words too). Product names and IT words are deliberately absent.
LEXICON: dict[str, set[str]] = {
    "es": _words("""el la los las mi mis tu tus su sus un una unos unas de del que qué cómo como cuál cual dónde donde
        cuándo por para con sin está esta están hay tengo tiene necesito quiero puedo puede porfa gracias hola buenos
        buenas días dias tardes sigue funciona funcionan contraseña impresora imprime portátil portatil ordenador
        correo ayuda persona hablar licencia licencias libres libre disponible estado pasa nada esto eso también pero
        se lo le al muy alguien trabajando va olvidé olvide entrar restablezco restablecer configuro movil móvil
        llegó raro pidiendo pagar factura oficina corta cada rato instalar nuevo nueva dirección direccion escritorio
        sé entiendo jefe aprueba vacaciones qué hago entonces perdón mejor español desconecta cinco minutos sí envía
        enviar adelante cancelar conecto conectarme usted"""),
    "de": _words("""ich mein meine meinen meinem meiner mir mich der das dem den des ein eine einen einem einer nicht kein
        keine ist sind und oder wie wo wer warum bitte danke hallo guten morgen geht funktioniert druckt drucker
        passwort kennwort vergessen brauche möchte kann können zurücksetzen zurück setze gibt noch freie freien lizenz
        lizenzen für mit von zu auf ins sprechen menschen mitarbeiter zeig zeige neuen neues neue bestellen richte
        handy bildschirm erkannt über wird fragt ständig immer dasselbe sachen wieder komische ding kantine offen seit
        heute mehr wlan gäste verbinde mich selbst probieren langsam extrem abschicken hause nach büro ja nein
        welche welcher bearbeitet jemand dockingstation anfordern jetzt steht stehen hier dort klappt klappen schon
        auch aber doch dann wann habe hast haben bist kommt komme gestern morgens wieso weshalb"""),
    "fr": _words("""le les des du mon ma mes je j est une pas ne pour avec comment quel quelle quels quelles qu il elle nous
        vous sur dans merci bonjour salut ça ca marche marchent fonctionne veux voudrais besoin oublié oublie mot passe
        imprimante logiciel ordinateur demande demandes montre moi où sont parler quelqu humain reste
        statut installer depuis plante partage écran salle réunion casque récupérer fichier supprimé
        va toujours pareil tout du oui envoie envoyer annuler faut nouvel nouveau accueil connecter au"""),
    "pt": _words("""um uma meu minha meus minhas não de da dos das que com para por está estão tem tenho preciso quero
        como qual senha impressora imprimindo chamado chamados obrigado obrigada olá ola tudo bem isso hoje continua
        igual esqueci conecta conectar licença licenças livre disponível solicitar atendente falar muito lento em na ao
        você redefino novo nova escritório sim pode enviar cancelar direitos dias roubado agora metrô
        faço enquanto"""),
    "it": _words("""il lo la gli le un una mio mia miei mie non di del della dei che con cosa quali sono è ho mi ti ci
        vorrei voglio serve grazie ciao buongiorno stampante stampa portatile dimenticato licenze licenza libere
        libera richiedere parlare operatore stato favore funziona succede capisco ancora niente continua telefono
        chiedermi configuro collego nuovo nuova sì invia inviare annullare tastiera rotto attuale"""),
    "nl": _words("""ik mijn het een de niet werkt ben heb wil graag kan hoe wat van voor met op nog zijn wachtwoord
        vergeten nieuwe nodig medewerker spreken aanvragen licenties licentie vrij verbinding maak blijft vragen doet
        weer raar steeds hetzelfde goedemorgen bedankt dank hallo je jij ja nee alsjeblieft"""),
    "pl": _words("""nie mi się jak jest czy są na mój moja moje moich mam mogę chcę chciałbym chciałabym potrzebuję proszę
        dziękuję dzięki dzień dobry hasło hasła zapomniałem zapomniałam drukarka drukuje działa zgłoszenie zgłoszenia
        zgłoszeń wolne licencje licencja porozmawiać konsultantem zamówić połączyć zresetować coś tak dalej samo
        jaki jaka jakie nowego nowy laptopa mnie"""),
}
# English words that mark a message as English (it outweighs a foreign word that happens to be in it).
ENGLISH_WORDS = _words("""the my i i'm im is are was to and for of it can how what please pls need not doesn't doesnt
    don't dont won't wont can't cant this that with on in at from have has get any free me you do does help where when
    why which there here still keeps keep again thanks thank hi hello hey ok okay yes want order show tell about just
    should would could will into your our we they be been being its it's after before since only some new""")


class Identification(BaseModel):
    """One message's language: ``code`` is ``en``, a key of :data:`SUPPORTED`, or ``None`` (cannot tell)."""

    code: str | None
    foreign_words: int = 0
    english_words: int = 0

    @property
    def foreign(self) -> bool:
        return self.code is not None and self.code != ENGLISH


class _Detector:
    """py3langid restricted to English + :data:`SUPPORTED`, loaded once per process (about 3 s: the
    shipped model is xz-compressed) under a lock."""

    _identifier: Any = None
    _lock = threading.Lock()

    @classmethod
    def ranked(cls, text: str) -> list[str]:
        with cls._lock:
            if cls._identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                identifier.set_languages([ENGLISH, *SUPPORTED])
                cls._identifier = identifier
        return [str(code) for code, _ in cls._identifier.rank(text)]


def warm_up() -> None:
    """Load the language model now (at start-up) rather than on the first foreign message."""
    _Detector.ranked("hello")


def identify(text: str, prefer: str | None = None) -> Identification:
    """The language of one message, or ``None`` when it says too little to tell (see the module doc).
    ``prefer``: the conversation's language so far; a short answer that has words of it ("à la maison" has
    Italian-looking "la") stays in it rather than switching the conversation to another language."""
    lowered = unicodedata.normalize("NFC", (text or "").lower()).replace("’", "'")
    lowered = _ADDRESS.sub(" ", lowered)  # "p.novak@ledgerworks.com" is no Portuguese "com"
    tokens = _WORD.findall(lowered)
    if not tokens:
        return Identification(code=None)
    english = sum(1 for t in tokens if t in ENGLISH_WORDS)
    hits = {code: sum(1 for t in tokens if t in words) for code, words in LEXICON.items()}
    accented = bool(_ACCENTED.search(lowered))
    foreign = max(hits.values()) + (1 if accented else 0)
    if foreign == 0:
        return Identification(code=ENGLISH if english else None, english_words=english)
    if english >= 2 * foreign and english >= 2:
        return Identification(code=ENGLISH, foreign_words=foreign, english_words=english)
    ranked = _Detector.ranked(lowered)
    order = {code: position for position, code in enumerate(ranked)}
    candidates = [code for code, count in hits.items() if count > 0] or ([c for c in ranked if c != ENGLISH]
                                                                        if accented else [])
    if not candidates:
        return Identification(code=ENGLISH if english else None, english_words=english)
    best = max(candidates, key=lambda code: (hits[code] + (1 if order[code] < order[ENGLISH] else 0), -order[code]))
    if prefer in SUPPORTED and prefer != best and (hits.get(prefer, 0) > 0 or accented) and len(tokens) <= 6:
        best = prefer  # a short answer in the conversation's language ("à la maison" looks Italian on its own)
    if english > hits[best] + (1 if accented else 0):
        return Identification(code=ENGLISH, foreign_words=foreign, english_words=english)
    return Identification(code=best, foreign_words=foreign, english_words=english)


# --------------------------------------------------------------------------- what the offline model reads

# Phrases first (longest first at run time), then words. Right-hand sides are the English an employee would
# have typed, so the intent classifier, KB search and catalog matcher see familiar words.
_GLOSS: dict[str, dict[str, str]] = {
    "es": {
        "se cae": "keeps dropping", "se caen": "keep dropping", "no enciende": "won't turn on", "no arranca": "won't start",
        "no sincroniza": "is not syncing", "no carga": "won't load", "se cuelga": "freezes", "se bloquea": "crashes",
        "muy lento": "very slow", "lento": "slow", "no va": "is not working", "no anda": "is not working",
        "primer": "first", "segundo": "second", "tercer": "third", "tercero": "third", "cuarto": "fourth", "dos": "two",
        "tres": "three", "cinco": "five", "diez": "ten",
        "piso": "floor", "planta": "floor", "cada": "every", "minutos": "minutes", "desde ayer": "since yesterday",
        "olvidé mi contraseña": "forgot my password", "olvide mi contraseña": "forgot my password",
        "restablezco mi contraseña": "reset my password", "restablecer mi contraseña": "reset my password",
        "no funciona": "is not working", "no funcionan": "are not working", "no conecta": "won't connect",
        "no imprime": "is not printing", "no puedo entrar": "cannot sign in", "no puedo": "cannot",
        "se corta": "keeps dropping", "se desconecta": "keeps disconnecting",
        "hablar con una persona": "talk to a person", "hablar con alguien": "talk to someone",
        "hablar con un agente": "talk to an agent", "mis tickets": "my tickets", "mis solicitudes": "my requests",
        "mi ticket": "my ticket", "el estado de": "the status of", "estado": "status", "cómo va": "status of",
        "licencias libres": "free licences", "licencia libre": "free licence", "licencia disponible": "licence available",
        "hay licencias": "are there licences", "hay licencia": "is there a licence", "licencias": "licences",
        "licencia": "licence", "disponible": "available", "libres": "free", "libre": "free",
        "contraseña": "password", "impresora": "printer", "portátil": "laptop", "portatil": "laptop",
        "ordenador": "computer", "correo": "email", "móvil": "phone", "movil": "phone", "configuro": "set up",
        "necesito": "i need", "quiero": "i want", "instalar": "install", "nuevo": "new", "nueva": "new",
        "cómo": "how do i", "como": "how do i", "cuál es": "what is", "dirección": "address", "direccion": "address",
        "me conecto a": "connect to", "conecto": "connect", "conectarme": "connect", "oficina": "office",
        "desde casa": "from home", "casa": "home", "escritorio": "desk", "factura": "invoice",
        "pidiendo pagar": "asking to pay", "correo raro": "suspicious email", "trabajando en": "working on",
        "alguien": "anyone", "derechos de administrador": "admin rights", "días": "days", "dias": "days",
        "buenos días": "good morning", "hola": "hi", "gracias": "thanks", "sí": "yes", "si": "yes",
        "envía": "submit", "envíalo": "submit", "adelante": "go ahead", "cancelar": "cancel", "cancela": "cancel",
        "el estado de mis tickets": "show my tickets", "estado de mis tickets": "show my tickets",
        "raro": "", "rara": "", "vacaciones": "holidays", "jefe": "manager", "aprueba": "approve", "nómina": "payslip", "nomina": "payslip",
        "mi": "my", "mis": "my", "está": "is",
    },
    "de": {
        "bricht ständig ab": "keeps dropping", "bricht ab": "drops", "fällt aus": "is down", "fällt ständig aus":
        "keeps dropping", "startet nicht": "won't start", "geht nicht an": "won't turn on", "stürzt ab": "crashes",
        "hängt": "freezes", "synchronisiert nicht": "is not syncing", "lädt nicht": "won't load", "ständig": "constantly",
        "stock": "floor", "etage": "floor", "seit gestern": "since yesterday",
        "passwort vergessen": "forgot my password", "kennwort vergessen": "forgot my password",
        "passwort zurück": "reset my password", "passwort zurücksetzen": "reset my password",
        "druckt nicht": "is not printing", "geht nicht": "is not working", "funktioniert nicht": "is not working",
        "nicht mehr": "not anymore", "nicht erkannt": "not detected", "mit einem menschen sprechen": "talk to a person",
        "mit jemandem sprechen": "talk to someone", "mit einem mitarbeiter sprechen": "talk to an agent",
        "meine tickets": "my tickets", "meine offenen tickets": "my open tickets", "zeig mir": "show me",
        "status von": "status of", "freie lizenzen": "free licences", "freie lizenz": "free licence",
        "gibt es noch": "are there any", "gibt es": "is there", "lizenzen": "licences", "lizenz": "licence",
        "passwort": "password", "kennwort": "password", "drucker": "printer", "bildschirm": "monitor",
        "handy": "phone", "laptop": "laptop", "rechner": "computer", "ich brauche": "i need", "brauche": "need",
        "ich möchte": "i want", "möchte": "want", "bestellen": "order", "anfordern": "request", "neuen": "new",
        "neues": "new", "neue": "new", "wie richte ich": "how do i set up", "wie verbinde ich mich mit": "how do i connect to",
        "wie setze ich": "how do i reset", "wie komme ich ins": "how do i join the", "wie": "how",
        "gäste-wlan": "guest wifi", "wlan": "wifi", "fragt ständig nach": "keeps asking for", "fragt": "asks",
        "dockingstation": "docking station", "langsam": "slow", "seit dem update": "since the update",
        "nach hause": "home address", "zu hause": "home address", "büro": "office desk", "schreibtisch": "office desk",
        "hallo": "hi", "guten morgen": "good morning", "danke": "thanks", "ja": "yes", "nein": "no",
        "abschicken": "submit", "absenden": "submit", "abbrechen": "cancel", "tage": "days", "tag": "day",
        "was kann ich selbst probieren": "what can i try first", "selbst probieren": "try first",
        "wo ist": "where is", "die": "the", "komisch": "", "komische": "", "kantine": "canteen", "urlaub": "holiday", "gehalt": "salary", "gehaltsabrechnung": "payslip",
        "mein": "my", "meine": "my", "meinem": "my", "meinen": "my", "ich": "i", "ist": "is", "bitte": "please",
    },
    "fr": {
        "coupe": "keeps dropping", "se coupe": "keeps dropping", "se déconnecte": "keeps disconnecting",
        "ne démarre pas": "won't start", "ne s'allume pas": "won't turn on", "ne synchronise pas": "is not syncing",
        "ne charge pas": "won't load", "est lent": "is slow", "lent": "slow", "tout le temps": "all the time",
        "étage": "floor", "depuis hier": "since yesterday",
        "mot de passe oublié": "forgot my password", "oublié mon mot de passe": "forgot my password",
        "mot de passe": "password", "ne marche pas": "is not working", "ne fonctionne pas": "is not working",
        "ne marche plus": "stopped working", "parler à un humain": "talk to a human",
        "parler à quelqu'un": "talk to someone", "parler à une personne": "talk to a person",
        "mes tickets": "my tickets", "mes demandes": "my requests", "où en sont": "status of",
        "le statut du": "the status of", "statut": "status", "reste des licences": "free licences",
        "licences libres": "free licences", "licence libre": "free licence", "licences": "licences",
        "licence": "licence", "imprimante": "printer", "ordinateur portable": "laptop", "ordinateur": "computer",
        "il me faut": "i need", "j'ai besoin d'une": "i need a", "j'ai besoin d'un": "i need a",
        "besoin": "need", "je voudrais": "i would like", "je veux": "i want", "nouvel": "new", "nouveau": "new",
        "station d'accueil": "docking station", "comment installer": "how do i install", "comment": "how do i",
        "logiciel": "software", "depuis": "from", "plante": "crashes", "écran": "screen", "salle de réunion":
        "meeting room", "casque": "headset", "récupérer": "restore", "fichier supprimé": "deleted file",
        "montre-moi": "show me", "bonjour": "hello", "merci": "thanks", "oui": "yes", "non": "no",
        "envoie": "submit", "envoyer": "submit", "annuler": "cancel", "jours": "days",
        "où en sont mes tickets": "show my tickets", "où en sont mes demandes": "show my requests",
        "bizarre": "", "congés": "holidays", "vacances": "holidays", "cantine": "canteen", "salaire": "salary",
        "mon": "my", "mes": "my",
    },
    "pt": {
        "esqueci minha senha": "forgot my password", "esqueci a senha": "forgot my password",
        "redefino minha senha": "reset my password", "redefinir minha senha": "reset my password",
        "não conecta": "won't connect", "não funciona": "is not working", "não está imprimindo": "is not printing",
        "falar com um atendente": "talk to an agent", "falar com alguém": "talk to someone",
        "falar com uma pessoa": "talk to a person", "meus chamados": "my tickets", "minhas solicitações": "my requests",
        "status do chamado": "status of ticket", "chamado": "ticket", "licença disponível": "licence available",
        "licença livre": "free licence", "tem licença": "is there a licence", "licenças": "licences",
        "licença": "licence", "senha": "password", "impressora": "printer", "notebook novo": "new laptop",
        "preciso de": "i need", "preciso": "i need", "quero solicitar": "i want to request", "quero": "i want",
        "direitos de administrador temporários": "temporary admin rights", "direitos de administrador": "admin rights",
        "como conecto no": "how do i connect to the", "como": "how do i", "escritório": "office", "muito lento": "very slow",
        "roubado": "stolen", "olá": "hello", "obrigado": "thanks", "obrigada": "thanks", "sim": "yes", "não": "no",
        "pode enviar": "submit", "enviar": "submit", "cancelar": "cancel", "dias": "days", "dia": "day",
        "estranho": "", "estranha": "", "férias": "holidays", "salário": "salary", "meu": "my", "minha": "my", "meus": "my", "minhas": "my",
        "está": "is", "pedido do": "request for the", "pedido da": "request for the", "pedido de": "request for",
        "pedido": "request", "solicitação do": "request for the", "solicitação da": "request for the",
        "solicitação": "request", "e o": "and the", "e a": "and the", "já foi aprovado": "approved yet",
        "já foi aprovada": "approved yet", "foi aprovado": "approved", "foi aprovada": "approved", "foi": "was",
    },
    "it": {
        "ho dimenticato la password": "forgot my password", "non funziona": "is not working",
        "non stampa": "is not printing", "parlare con un operatore": "talk to an agent",
        "parlare con qualcuno": "talk to someone", "parlare con una persona": "talk to a person",
        "i miei ticket": "my tickets", "le mie richieste": "my requests", "stato del": "status of",
        "licenze libere": "free licences", "licenza libera": "free licence", "ci sono licenze": "are there licences",
        "c'è una licenza": "is there a licence", "licenze": "licences", "licenza": "licence",
        "stampante": "printer", "portatile": "laptop", "mi serve": "i need", "vorrei richiedere": "i want to request",
        "vorrei": "i would like", "voglio": "i want", "nuovo": "new", "come configuro": "how do i set up",
        "come mi collego alla": "how do i connect to", "come": "how do i", "telefono": "phone",
        "continua a chiedermi": "keeps asking for", "tastiera": "keyboard", "rotto": "broken", "ciao": "hi",
        "grazie": "thanks", "sì": "yes", "si": "yes", "invia": "submit", "annulla": "cancel", "giorni": "days",
        "strano": "", "strana": "", "ferie": "holidays", "stipendio": "salary", "mensa": "canteen",
        "per favore": "please", "mio": "my", "mia": "my", "miei": "my",
    },
    "nl": {
        "wachtwoord vergeten": "forgot my password", "werkt niet": "is not working", "print niet": "is not printing",
        "met een medewerker spreken": "talk to an agent", "met iemand spreken": "talk to someone",
        "mijn tickets": "my tickets", "wat is de status van": "what is the status of", "status van": "status of",
        "licenties vrij": "free licences", "licenties": "licences", "licentie": "licence",
        "wachtwoord": "password", "ik heb een nieuwe": "i need a new", "nodig": "", "aanvragen": "request",
        "ik wil": "i want", "hoe maak ik verbinding met": "how do i connect to", "hoe": "how do i",
        "blijft om mijn wachtwoord vragen": "keeps asking for my password", "nieuwe": "new",
        "goedemorgen": "good morning", "hallo": "hi", "bedankt": "thanks", "dank je": "thanks", "ja": "yes",
        "nee": "no", "versturen": "submit", "annuleren": "cancel", "dagen": "days", "raar": "", "vreemd": "", "vakantie": "holidays",
        "salaris": "salary", "kantine": "canteen", "mijn": "my", "graag": "please",
    },
    "pl": {
        "zapomniałem hasła": "forgot my password", "zapomniałam hasła": "forgot my password",
        "jak zresetować hasło": "how do i reset my password", "nie działa": "is not working",
        "nie drukuje": "is not printing", "porozmawiać z konsultantem": "talk to an agent",
        "porozmawiać z kimś": "talk to someone", "moje zgłoszenia": "my tickets", "status zgłoszenia": "status of ticket",
        "zgłoszenia": "ticket", "zgłoszenie": "ticket", "wolne licencje": "free licences", "licencje": "licences",
        "licencja": "licence", "hasło": "password", "hasła": "password", "drukarka": "printer",
        "potrzebuję nowego laptopa": "i need a new laptop", "potrzebuję": "i need", "chciałbym zamówić": "i want to request",
        "chciałabym zamówić": "i want to request", "zamówić": "order", "jak połączyć się z": "how do i connect to",
        "nie tak": "", "dziwnie": "", "dziwne": "", "urlop": "holidays", "wypłata": "salary", "stołówka": "canteen",
        "jak": "how do i", "dzień dobry": "good morning", "dzięki": "thanks", "dziękuję": "thanks", "tak": "yes",
        "wyślij": "submit", "anuluj": "cancel", "dni": "days", "mój": "my", "moja": "my", "moje": "my",
    },
}
# Follow-ups ("and X?"), questions about one's own request ("how is my monitor request going?") and the catalog
# things and form answers employees name in their language: without them the gloss drops the item or the
# question and the offline model loses the thread (issue 13, references and ticket questions).
_FOLLOWUP_AND_ITEMS: dict[str, dict[str, str]] = {
    "es": {
        "y": "and", "y de": "and", "y para": "and", "qué tal": "what about", "y qué tal": "what about",
        "qué pasa con mi": "what's happening with my", "cómo va": "any news on", "cómo va mi": "any news on my",
        "solicitud": "request", "pedido": "order", "petición": "request", "aprobado": "approved", "aprobó": "approved",
        "ya": "yet", "me gustaría": "i would like", "quisiera": "i would like", "pedir": "request",
        "solicitar": "request", "pantalla": "monitor", "auriculares": "headset", "auricular": "headset", "cascos": "headset",
        "audífonos": "headset", "diadema": "headset",
        "teléfono": "phone", "telefono": "phone", "estación de acoplamiento": "docking station",
        "base de conexión": "docking station", "memoria usb": "usb drive", "pendrive": "usb drive",
        "usb cifrado": "encrypted usb drive", "teclado": "keyboard", "ratón": "mouse", "cargador": "charger",
        "buzón compartido": "shared mailbox", "acceso": "access", "permisos de administrador": "admin rights",
        "sala de reuniones": "conference room", "a mi casa": "home address", "a casa": "home address",
        "en casa": "home address", "en la oficina": "office desk", "a la oficina": "office desk",
        "mi escritorio": "office desk", "cuánto tarda": "how long will it take", "cuánto tiempo": "how long",
    },
    "de": {
        "und": "and", "und was ist mit": "what about", "was ist mit": "what about", "wie sieht es mit": "what about",
        "wie ist der status": "what is the status of", "wie ist der stand": "what is the status of",
        "was ist aus": "what happened to", "anfrage": "request", "antrag": "request", "bestellung": "order",
        "genehmigt": "approved", "freigegeben": "approved", "schon": "yet", "meiner": "my", "meines": "my",
        "kopfhörer": "headset", "tastatur": "keyboard", "maus": "mouse", "ladegerät": "charger",
        "netzteil": "charger", "usb-stick": "usb drive", "verschlüsselten usb-stick": "encrypted usb drive",
        "telefon": "phone", "diensthandy": "phone", "geteiltes postfach": "shared mailbox",
        "geteilten postfach": "shared mailbox", "gemeinsames postfach": "shared mailbox",
        "gemeinsamen postfach": "shared mailbox", "zugang zu": "access to", "zugriff auf": "access to",
        "zugang": "access", "adminrechte": "admin rights", "administratorrechte": "admin rights",
        "besprechungsraum": "conference room", "verteilerliste": "distribution list", "notebook": "laptop",
        "wie lange dauert": "how long will it take", "wie lange": "how long", "was mache ich": "what do i do",
        "was soll ich tun": "what should i do", "wenn": "if", "falls": "if", "es": "it", "immer wieder": "keeps",
    },
    "fr": {
        "et": "and", "et pour": "and", "et côté": "and", "quid de": "what about",
        "où en est": "what's the status of", "où en est ma": "what's the status of my",
        "où en est mon": "what's the status of my", "demande": "request", "commande": "order",
        "approuvé": "approved", "approuvée": "approved", "validé": "approved", "validée": "approved",
        "déjà": "yet", "j'aimerais": "i would like", "commander": "order", "clavier": "keyboard",
        "souris": "mouse", "chargeur": "charger", "clé usb": "usb drive", "téléphone": "phone",
        "moniteur": "monitor", "boîte aux lettres partagée": "shared mailbox", "boîte mail partagée": "shared mailbox",
        "accès": "access", "droits d'administrateur": "admin rights", "droits admin": "admin rights",
        "à la maison": "home address", "chez moi": "home address", "domicile": "home address",
        "au bureau": "office desk", "combien de temps": "how long",
    },
    "pt": {
        "e": "and", "e o": "and", "e a": "and", "e quanto a": "what about", "e o que": "and what",
        "como está": "what is the status of", "como anda": "any news on", "pedido": "order",
        "solicitação": "request", "aprovado": "approved", "aprovou": "approved", "já": "yet",
        "gostaria de": "i would like", "gostaria": "i would like", "solicitar": "request", "telefone": "phone",
        "celular": "phone", "fone de ouvido": "headset", "teclado": "keyboard", "carregador": "charger",
        "pen drive": "usb drive", "em casa": "home address", "para casa": "home address",
        "no escritório": "office desk", "acesso": "access", "caixa de correio compartilhada": "shared mailbox",
        "notebook": "laptop", "portátil": "laptop", "computador": "computer", "quanto tempo": "how long",
    },
    "it": {
        "e": "and", "e per": "and", "e invece": "and", "e quanto a": "what about",
        "a che punto è": "what is the status of", "novità sulla": "any news on", "novità sul": "any news on",
        "richiesta": "request", "ordine": "order", "approvato": "approved", "approvata": "approved",
        "già": "yet", "cuffie": "headset", "caricabatterie": "charger", "chiavetta usb": "usb drive",
        "cellulare": "phone", "schermo": "monitor", "a casa": "home address", "in ufficio": "office desk",
        "accesso": "access", "casella condivisa": "shared mailbox", "casella di posta condivisa": "shared mailbox",
        "diritti di amministratore": "admin rights", "quanto tempo": "how long",
    },
    "nl": {"en": "and", "en wat met": "what about", "aanvraag": "request", "bestelling": "order",
           "goedgekeurd": "approved", "al": "yet", "toetsenbord": "keyboard", "telefoon": "phone",
           "thuis": "home address", "op kantoor": "office desk"},
    "pl": {"a co z": "what about", "a": "and", "wniosek": "request", "zamówienie": "order",
           "zatwierdzony": "approved", "klawiatura": "keyboard", "telefon": "phone", "do domu": "home address",
           "do biura": "office desk"},
}
# "I can't connect to the office Wi-Fi": a fault of one person's connection, never an outage for lack of words.
_CANNOT_CONNECT: dict[str, dict[str, str]] = {
    "es": {"no puedo conectarme al": "i can't connect to the", "no puedo conectarme a la": "i can't connect to the",
           "no puedo conectarme a": "i can't connect to", "no puedo conectarme": "i can't connect",
           "no me puedo conectar a": "i can't connect to", "no me puedo conectar": "i can't connect", "no puedo": "i can't"},
    "de": {"ich kann mich nicht mit dem": "i can't connect to the", "kann mich nicht mit dem": "can't connect to the",
           "kann mich nicht mit": "can't connect to", "ich kann mich nicht": "i can't connect", "verbinden": "connect",
           "keine verbindung": "no connection", "ich kann nicht": "i can't", "büro": "office", "im büro": "in the office"},
    "fr": {"je n'arrive pas à me connecter au": "i can't connect to the", "je n'arrive pas à me connecter à":
           "i can't connect to", "je n'arrive pas à me connecter": "i can't connect", "je n'arrive pas à": "i can't",
           "n'arrive pas à": "can't", "je ne peux pas": "i can't", "me connecter": "connect", "se connecter": "connect",
           "du bureau": "office", "bureau": "office"},
    "pt": {"não consigo conectar no": "i can't connect to the", "não consigo conectar ao": "i can't connect to the",
           "não consigo me conectar": "i can't connect", "não consigo conectar": "i can't connect", "não consigo": "i can't"},
    "it": {"non riesco a connettermi alla": "i can't connect to the", "non riesco a connettermi al":
           "i can't connect to the", "non riesco a connettermi": "i can't connect", "non riesco a": "i can't",
           "ufficio": "office"},
    "nl": {"ik kan geen verbinding maken met": "i can't connect to", "geen verbinding": "no connection",
           "kantoor": "office"},
}
# Delivery questions, keyboard layouts, slowness and "open a ticket" — words a form or a follow-up needs.
_FORMS_AND_FAULTS: dict[str, dict[str, str]] = {
    "es": {"cuánto tardan en llegar": "how long until they arrive", "cuánto tarda en llegar": "how long until it arrives",
           "cuánto tardan": "how long does it take", "cuánto tarda": "how long does it take", "entrega": "delivery",
           "envíalo": "submit", "vale": "ok", "lentísimo": "very slow", "restablecer": "reset",
           "teclado alemán": "german keyboard", "teclado inglés": "uk keyboard", "teclado británico": "uk keyboard",
           "teclado americano": "us keyboard", "abrir un ticket": "open a ticket", "reinicié": "i restarted"},
    "de": {"deutscher tastatur": "german keyboard", "deutsche tastatur": "german keyboard",
           "deutschem tastaturlayout": "german keyboard", "englischer tastatur": "uk keyboard",
           "britischer tastatur": "uk keyboard", "amerikanischer tastatur": "us keyboard",
           "wie lange dauert die lieferung": "how long does delivery take", "lieferung": "delivery",
           "abschicken": "submit", "passt": "ok", "ticket aufmachen": "open a ticket", "ticket öffnen": "open a ticket",
           "sehr langsam": "very slow", "langsam": "slow", "lüfter": "fans", "neu gestartet": "restarted"},
    "fr": {"combien de temps pour la livraison": "how long does delivery take", "livraison": "delivery",
           "clavier allemand": "german keyboard", "clavier anglais": "uk keyboard", "clavier britannique": "uk keyboard",
           "clavier américain": "us keyboard", "réinitialiser": "reset", "très lent": "very slow",
           "ouvrir un ticket": "open a ticket", "ventilateur": "fan", "redémarré": "restarted"},
    "pt": {"quanto tempo demora": "how long does it take", "entrega": "delivery", "teclado alemão": "german keyboard",
           "redefinir": "reset", "abrir um chamado": "open a ticket", "reiniciei": "i restarted"},
    "it": {"reimpostare la mia password": "reset my password", "reimpostare": "reset", "lentissimo": "very slow",
           "lento": "slow", "ventole": "fans", "ventola": "fan", "rumore": "noise", "puoi aprire un ticket":
           "can you open a ticket", "aprire un ticket": "open a ticket", "ho già riavviato": "i already restarted",
           "riavviato": "restarted", "aggiornato": "updated", "quanto ci vuole": "how long does it take",
           "consegna": "delivery", "tastiera tedesca": "german keyboard", "sono nuova qui": "i'm new here",
           "sono nuovo qui": "i'm new here", "da stamattina": "since this morning"},
    "nl": {"ik heb een dockingstation nodig": "i need a docking station", "dockingstation": "docking station",
           "hoe lang duurt de levering": "how long does delivery take", "levering": "delivery",
           "verstuur maar": "submit", "verstuur": "submit", "prima": "ok", "heel traag": "very slow", "traag": "slow",
           "duits toetsenbord": "german keyboard"},
    "pl": {"jak długo trwa dostawa": "how long does delivery take", "dostawa": "delivery", "wyślij": "submit",
           "bardzo wolny": "very slow", "zresetować hasło": "reset my password", "otworzyć zgłoszenie": "open a ticket"},
}
for _code, _extra in [*_FOLLOWUP_AND_ITEMS.items(), *_CANNOT_CONNECT.items(), *_FORMS_AND_FAULTS.items()]:
    for _source, _target in _extra.items():
        _GLOSS[_code].setdefault(_source, _target)  # an existing entry wins: the table above was tuned first
_COMPILED: dict[str, list[tuple[re.Pattern[str], str]]] = {
    code: [(re.compile(r"(?<![\w'])" + re.escape(source) + r"(?![\w'])"), target)
           for source, target in sorted(table.items(), key=lambda item: -len(item[0]))]
    for code, table in _GLOSS.items()
}


_EVERYDAY = set().union(*LEXICON.values()) - ENGLISH_WORDS
# English words that carry no request on their own: a gloss made only of these was not understood.
_FUNCTION = _words("my is i me the to of and it this that in on at for with please how do not no")
_PUNCT = ".,;:!?'\"()«»“”„"


def gloss(text: str, code: str, known: Callable[[str], bool] | None = None) -> str:
    """English words for what the offline model needs from a message in ``code``. Words without an English
    entry are dropped when they are everyday words of one of the languages, kept otherwise (names, numbers,
    IT terms) — or, given ``known`` (the offline model's vocabulary), only when the model knows them.
    Returns ``""`` when nothing but function words is left: the message was not understood."""
    table = _COMPILED.get(code)
    if not table:
        return text
    lowered = unicodedata.normalize("NFC", text.lower()).replace("’", "'").replace("¿", " ").replace("¡", " ")
    produced: list[str] = []
    for pattern, target in table:
        lowered, count = pattern.subn(f" \x00{target}\x00 " if target else " ", lowered)
        if count and target:
            produced.append(target)
    kept: list[str] = []
    for chunk in re.split(r"\x00", lowered):
        if chunk.strip() in produced:
            kept.append(chunk.strip())
            continue
        for word in chunk.split():
            bare = word.strip(_PUNCT)
            if not bare and "?" in word:
                kept.append("?")  # "já foi aprovado?" glossed: still a question
                continue
            if not bare or bare in _EVERYDAY:
                continue
            if known is None or any(ch.isdigit() for ch in bare) or "#" in bare or known(bare) or bare in ENGLISH_WORDS:
                kept.append(word)
            elif "-" in bare and (parts := [p for p in bare.split("-") if p and known(p)]):
                kept.extend(parts)  # a compound around a name: "IntelliJ-Anfrage" -> "intellij" (+ "request" glossed)
            elif code == "pl" and (stem := next((bare[:-n] for n in (1, 2) if known(bare[:-n])), None)):
                kept.append(stem)  # Polish case endings on a name: "Postmana", "Jirze" -> the name
    result = re.sub(r"\s+([?!.,])", r"\1", " ".join(kept)).strip()
    if not set(result.strip(_PUNCT).replace(",", " ").split()) - _FUNCTION:
        return ""
    return result


def for_offline_model(text: str, known: Callable[[str], bool] | None = None, prefer: str | None = None) -> str:
    """What the English-only offline model should read: the message itself, or its :func:`gloss`. ``prefer``:
    the conversation's language, also used for a message too short to tell ("et Confluence ?", "y Miro?")."""
    found = identify(text, prefer=prefer)
    if found.foreign and found.code:
        return gloss(text, found.code, known)
    if found.code is None and prefer in SUPPORTED:
        return gloss(text, prefer, known) or text
    return text


# --------------------------------------------------------------------------- what the employee reads

NOTICE: dict[str, str] = {
    "es": "Nota: respondo en inglés. Si puedes, escríbeme en inglés para obtener los mejores resultados.",
    "de": "Hinweis: Ich antworte auf Englisch. Wenn möglich, schreiben Sie mir auf Englisch – dann kann ich am besten helfen.",
    "fr": "Remarque : je réponds en anglais. Si vous le pouvez, écrivez-moi en anglais pour de meilleurs résultats.",
    "pt": "Observação: eu respondo em inglês. Se puder, escreva em inglês para obter os melhores resultados.",
    "it": "Nota: rispondo in inglese. Se puoi, scrivimi in inglese per ottenere risultati migliori.",
    "nl": "Let op: ik antwoord in het Engels. Schrijf als het kan in het Engels, dan kan ik je het best helpen.",
    "pl": "Uwaga: odpowiadam po angielsku. Jeśli możesz, napisz do mnie po angielsku – wtedy pomogę najlepiej.",
}
OFFER_PERSON: dict[str, str] = {
    "es": "No he entendido bien tu mensaje. Si quieres, te paso con una persona del equipo de IT: pulsa «Talk to the IT team».",
    "de": "Ich habe Ihre Nachricht leider nicht verstanden. Wenn Sie möchten, übergebe ich an eine Person im IT-Team: "
          "klicken Sie auf „Talk to the IT team“.",
    "fr": "Je n'ai pas bien compris votre message. Si vous le souhaitez, je vous mets en relation avec une personne de "
          "l'équipe IT : cliquez sur « Talk to the IT team ».",
    "pt": "Não entendi bem sua mensagem. Se quiser, passo você para uma pessoa da equipe de TI: clique em “Talk to the IT team”.",
    "it": "Non ho capito bene il tuo messaggio. Se vuoi, ti passo a una persona del team IT: premi «Talk to the IT team».",
    "nl": "Ik heb je bericht niet goed begrepen. Als je wilt, geef ik je door aan iemand van het IT-team: "
          "klik op ‘Talk to the IT team’.",
    "pl": "Nie zrozumiałem dobrze Twojej wiadomości. Jeśli chcesz, przekażę Cię osobie z zespołu IT: "
          "kliknij „Talk to the IT team”.",
}
OFFER_PERSON_ENGLISH = ("I couldn't work out what you need from that message. I can pass it to a person on the IT "
                        "team (press “Talk to the IT team”), or you can describe it in English.")


def notice(code: str) -> str:
    """The one line, in the employee's language, that answers are in English."""
    return NOTICE.get(code, "")


def offer_person(code: str) -> str:
    """A not-understood foreign message: offer a person (the employee decides), in their language and English."""
    local = OFFER_PERSON.get(code)
    return f"{local}\n\n{OFFER_PERSON_ENGLISH}" if local else OFFER_PERSON_ENGLISH

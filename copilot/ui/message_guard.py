"""A chat message too large for the socket gets words, never a silently dropped connection or a frozen tab.

Engine.IO closes the socket on a frame above its buffer (``MAX_SOCKET_BYTES``, set on Chainlit's server
in ``app.py``); the browser then reconnects and the message is gone without a word. The server answers
messages between the REST limit and that buffer itself (``render.TOO_LONG``). For anything larger this
small script, loaded by the full-page app (Chainlit's ``custom_js``) and by the portal widget's snippet
before the widget, does two things in the browser:

* a paste that would make the message box hold more than the message limit is not pasted; a notice
  says why, in the server's words. (Chainlit renders the text in the box and then as the employee's
  own message: with a megabyte of it, the tab stops responding for minutes before anything is sent.)
* an outgoing ``client_message`` frame that would still exceed the socket's buffer is cut to just over
  the message limit, so the server sees a message that is too long and says so.

Only the chat's message box and socket.io frames to this app are looked at; all else passes untouched.
"""

from __future__ import annotations

import json
from string import Template

from fastapi import APIRouter
from fastapi.responses import Response

from copilot.ui.render import MAX_MESSAGE_BYTES, MAX_SOCKET_BYTES

NOT_PASTED = ("That text is too long for me (over 64 KB), so I didn't paste it. Please paste a shorter part — "
              "the first few paragraphs or the exact error message are enough.")

PATH = "/message-guard.js"
MARGIN_BYTES = 64 * 1024  # room for the frame's envelope (ids, dates, JSON escapes)

SCRIPT = Template("""// Portal Copilot: an oversized chat message gets a reply that says so, not a dropped connection.
(() => {
  if (window.__copilotMessageGuard) return;
  window.__copilotMessageGuard = true;
  const LIMIT = $limit;  // bytes the server accepts in one socket frame, less a margin
  const KEEP = $keep;    // characters kept: over the message limit, so the server answers "too long"
  const EVENT = /^42\\d*\\[/;  // Engine.IO message + Socket.IO event (default namespace, optional ack id)
  const encoder = new TextEncoder();
  const MESSAGE = $message;  // bytes in one chat message the server reads
  const tooBig = (frame) => frame.length > LIMIT / 3 && encoder.encode(frame).length > LIMIT;
  function shrink(frame) {
    if (typeof frame !== "string" || !tooBig(frame)) return frame;
    const head = EVENT.exec(frame);
    if (!head) return frame;
    const prefix = head[0].slice(0, -1);
    let packet;
    try { packet = JSON.parse(frame.slice(prefix.length)); } catch (e) { return frame; }
    const message = packet[1] && packet[1].message;
    if (packet[0] !== "client_message" || !message || typeof message.output !== "string") return frame;
    message.output = message.output.slice(0, KEEP);
    return prefix + JSON.stringify(packet);
  }
  function notify(text) {
    let note = document.getElementById("copilot-too-long");
    if (!note) {
      note = document.createElement("div");
      note.id = "copilot-too-long";
      note.setAttribute("role", "alert");
      note.style.cssText = "position:fixed;left:50%;bottom:7rem;transform:translateX(-50%);z-index:2147483647;"
        + "max-width:32rem;padding:.75rem 1rem;border-radius:.75rem;background:#7f1d1d;color:#fff;"
        + "font:14px/1.4 system-ui,sans-serif;box-shadow:0 4px 16px rgba(0,0,0,.25)";
      document.body.appendChild(note);
    }
    note.textContent = text;
    clearTimeout(note.__hide);
    note.__hide = setTimeout(() => note.remove(), 15000);
  }
  document.addEventListener("paste", (event) => {  // capture: before Chainlit's own handler; composed out of the widget
    const box = event.composedPath()[0];
    if (!box || box.id !== "chat-input" || !event.clipboardData) return;
    const text = event.clipboardData.getData("text/plain") || "";
    if (text.length + (box.value || "").length <= MESSAGE / 3) return;
    if (encoder.encode(text).length + encoder.encode(box.value || "").length <= MESSAGE) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    notify($not_pasted);
  }, true);
  const toThisApp = (url) => String(url || "").indexOf("/socket.io") !== -1;
  const wsSend = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    return wsSend.call(this, toThisApp(this.url) ? shrink(data) : data);
  };
  const xhrOpen = XMLHttpRequest.prototype.open;
  const xhrSend = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    this.__copilotSocket = toThisApp(url);
    return xhrOpen.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function (body) {  // long-polling: packets joined by \\x1e
    if (this.__copilotSocket && typeof body === "string") body = body.split("\\x1e").map(shrink).join("\\x1e");
    return xhrSend.call(this, body);
  };
})();
""").substitute(limit=MAX_SOCKET_BYTES - MARGIN_BYTES, keep=MAX_MESSAGE_BYTES + 1, message=MAX_MESSAGE_BYTES,
                not_pasted=json.dumps(NOT_PASTED))

router = APIRouter()


@router.get(PATH, include_in_schema=False)
async def message_guard() -> Response:
    return Response(SCRIPT, media_type="text/javascript", headers={"Cache-Control": "public, max-age=3600"})


def apply() -> None:
    """Load the guard in the full-page app (Chainlit's ``custom_js``, deferred: it is in place before the
    chat socket opens)."""
    from chainlit.config import config

    config.ui.custom_js = PATH

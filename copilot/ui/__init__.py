"""The Chainlit side of the copilot: sign-in, chat history, rendering engine replies."""

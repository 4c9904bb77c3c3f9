# Voice notes in the composer (static/js/voice.js reads these from data-voice-* attributes).
voice-record = Record a voice note
voice-title = Voice note
voice-stop = Stop
voice-preview = Play back the voice note
voice-delete = Delete
voice-again = Record again
voice-add = Add to message
voice-unsupported = This browser cannot record audio.
voice-denied = The microphone is not available: allow it for this site in the browser's settings.
voice-recording = Recording… it stops by itself at 5:00.
voice-ready = Voice note of %t recorded: play it back, delete it or add it to the message.
voice-deleted = Voice note deleted.
voice-added = Voice note added to the message.

# Notas de voz en el editor (static/js/voice.js las lee de los atributos data-voice-*).
voice-record = Grabar una nota de voz
voice-title = Nota de voz
voice-stop = Detener
voice-preview = Escuchar la nota de voz
voice-delete = Eliminar
voice-again = Grabar de nuevo
voice-add = Añadir al mensaje
voice-unsupported = Este navegador no puede grabar audio.
voice-denied = El micrófono no está disponible: permítelo para este sitio en la configuración del navegador.
voice-recording = Grabando… se detiene sola a los 5:00.
voice-ready = Nota de voz de %t grabada: escúchala, elimínala o añádela al mensaje.
voice-deleted = Nota de voz eliminada.
voice-added = Nota de voz añadida al mensaje.

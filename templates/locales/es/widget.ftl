# El chat web (static/widget/charla.js), en el idioma del visitante: el de su
# navegador, si no el de la bandeja de entrada, si no el de la instalación.

widget-chat = Chat
widget-open = Abrir el chat
# La etiqueta del botón con mensajes sin leer; $count lo pone el widget.
widget-open-unread = Abrir el chat ({ $count } sin leer)
widget-close = Cerrar el chat
widget-online = En línea
widget-away = Te responderemos pronto
widget-reconnecting = Reconectando…
widget-placeholder = Escribe un mensaje…
widget-message = Mensaje
widget-messages = Mensajes
widget-send = Enviar
widget-retry = Reintentar
widget-sending = Enviando…
widget-sent = Enviado
widget-delivered = Entregado
widget-read = Leído
widget-failed = No enviado
# $name lo pone el widget (el nombre de un agente, o widget-agent).
widget-typing = { $name } está escribiendo…
widget-agent = Un agente
widget-prechat = Déjanos tus datos para poder responderte también por correo.
widget-name = Nombre
widget-email = Correo electrónico
widget-optional = (opcional)
widget-start = Empezar el chat
widget-skip = Ahora no
